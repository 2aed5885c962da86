package certstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Lock errors, returned wrapped.
var (
	// ErrNotHeld: Unlock or RenewLockLease of a lock this store does not
	// hold. Nothing is changed in Redis.
	ErrNotHeld = errors.New("lock is not held by this storage")
	// ErrLockLost: the lock expired (its holder could not refresh it in
	// time) and another holder may have taken it; it was left alone.
	ErrLockLost = errors.New("lock expired and was lost to another holder")
)

// heldLock is a lock this store holds and keeps alive.
type heldLock struct {
	token    string
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// halt stops the refresher and waits for it to exit. Idempotent.
func (h *heldLock) halt() {
	h.stopOnce.Do(func() { close(h.stop) })
	<-h.done
}

// Scripts compare the token first, so that only the holder extends or
// deletes a lock: after an expiry another holder's lock is never touched.
var (
	refreshScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)
	// renewScript also takes the lock back if it vanished (a Redis restart
	// or failover lost it) while nobody else took it.
	renewScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if v == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
elseif v == false then
	redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
	return 1
end
return 0`)
)

func (s *RedisStorage) lockKey(name string) string { return s.tag + "/l/" + name }

// Lock acquires the named lock, waiting while another holder has it,
// until ctx is done. The lock is refreshed in the background until Unlock;
// if this process dies, the lock expires within the lock TTL.
func (s *RedisStorage) Lock(ctx context.Context, name string) error {
	for {
		ok, err := s.TryLock(ctx, name)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for lock %q: %w", name, context.Cause(ctx))
		case <-time.After(s.opts.LockPoll):
		}
	}
}

// TryLock makes one attempt at the named lock and reports whether it got
// it. On success the lock is refreshed in the background until Unlock.
func (s *RedisStorage) TryLock(ctx context.Context, name string) (bool, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return false, fmt.Errorf("locking %q: reading a random token: %w", name, err)
	}
	token := hex.EncodeToString(raw[:])
	ok, err := s.client.SetNX(ctx, s.lockKey(name), token, s.opts.LockTTL).Result()
	if err != nil {
		return false, fmt.Errorf("locking %q: %w", name, err)
	}
	if !ok {
		return false, nil
	}
	h := &heldLock{token: token, stop: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	old := s.held[name]
	s.held[name] = h
	s.mu.Unlock()
	if old != nil {
		// Our earlier hold on name expired unnoticed; its refresher can
		// no longer extend anything, stop it.
		go old.halt()
	}
	go s.keepAlive(name, h)
	return true, nil
}

// keepAlive extends the lock every TTL/3 until stopped or lost.
func (s *RedisStorage) keepAlive(name string, h *heldLock) {
	defer close(h.done)
	every := s.opts.LockTTL / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		n, err := refreshScript.Run(ctx, s.client, []string{s.lockKey(name)}, h.token, s.opts.LockTTL.Milliseconds()).Int64()
		cancel()
		switch {
		case err != nil:
			s.log.Warn("refreshing a storage lock failed; retrying", zap.String("lock", name), zap.Error(err))
		case n == 0:
			s.log.Error("storage lock lost: it expired before it could be refreshed", zap.String("lock", name))
			return
		}
	}
}

// Unlock releases a lock this store holds. It deletes the lock in Redis
// only if the lock still carries this holder's token: a lock that expired
// and was taken by another holder is left to that holder (ErrLockLost).
// Unlocking a lock this store does not hold changes nothing (ErrNotHeld).
func (s *RedisStorage) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	h := s.held[name]
	delete(s.held, name)
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("unlocking %q: %w", name, ErrNotHeld)
	}
	h.halt()
	n, err := unlockScript.Run(ctx, s.client, []string{s.lockKey(name)}, h.token).Int64()
	if err != nil {
		return fmt.Errorf("unlocking %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("unlocking %q: %w", name, ErrLockLost)
	}
	return nil
}

// RenewLockLease confirms that this store still holds the lock, extending
// it by the lock TTL, or takes it back if it vanished from Redis while
// nobody else took it. The background refresh already keeps a held lock
// alive for as long as this process runs, so leaseDuration (certmagic's
// estimate of the next attempt's length) is not used: a longer lease would
// only delay a takeover after this process dies.
func (s *RedisStorage) RenewLockLease(ctx context.Context, name string, leaseDuration time.Duration) error {
	s.mu.Lock()
	h := s.held[name]
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("renewing lock %q: %w", name, ErrNotHeld)
	}
	n, err := renewScript.Run(ctx, s.client, []string{s.lockKey(name)}, h.token, s.opts.LockTTL.Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("renewing lock %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("renewing lock %q: %w", name, ErrLockLost)
	}
	return nil
}
