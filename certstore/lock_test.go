package certstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// lockOpts keeps lock tests short: a 1s lease, 20ms polling.
func lockOpts(prefix string) Options {
	return Options{Prefix: prefix, LockTTL: time.Second, LockPoll: 20 * time.Millisecond}
}

// lockHeld returns the shared Redis and two stores sharing a fresh
// prefix, a already holding the lock name.
func lockHeld(t *testing.T, name string) (c *redis.Client, a, b *RedisStorage) {
	t.Helper()
	c = testsupport.SharedRedis(t)
	prefix := testPrefix(t, c)
	a, b = newStore(t, c, lockOpts(prefix)), newStore(t, c, lockOpts(prefix))
	if err := a.Lock(ctx, name); err != nil {
		t.Fatal(err)
	}
	return c, a, b
}

// vanish simulates the holder's process dying: the refresher stops and the
// lock is forgotten locally, without Unlock.
func vanish(s *RedisStorage, name string) {
	s.mu.Lock()
	h := s.held[name]
	delete(s.held, name)
	s.mu.Unlock()
	h.halt()
}

func TestLockExclusiveStandalone(t *testing.T) { testLockExclusive(t, testsupport.SharedRedis(t)) }

func TestLockExclusiveCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	testLockExclusive(t, startCluster(t, 3))
}

// testLockExclusive: N stores on one prefix (N instances) and two
// goroutines per store (Lock is also exclusive inside one process) run a
// read-sleep-write increment under the lock. Without mutual exclusion the
// increments overlap: inside > 1 and lost updates.
func testLockExclusive(t *testing.T, c redis.UniversalClient) {
	prefix := testPrefix(t, c)
	const stores, perStore, rounds = 4, 2, 5
	var counter int // deliberately unsynchronized but for the lock
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, stores*perStore*rounds)
	for range stores {
		s := newStore(t, c, lockOpts(prefix))
		for range perStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					if err := s.Lock(ctx, "issue_cert_a.test"); err != nil {
						cancel()
						errs <- err
						return
					}
					n := inside.Add(1)
					for {
						m := maxInside.Load()
						if n <= m || maxInside.CompareAndSwap(m, n) {
							break
						}
					}
					v := counter
					time.Sleep(2 * time.Millisecond)
					counter = v + 1
					inside.Add(-1)
					if err := s.Unlock(ctx, "issue_cert_a.test"); err != nil {
						errs <- err
					}
					cancel()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if counter != stores*perStore*rounds || maxInside.Load() != 1 {
		t.Errorf("counter %d (want %d), at most %d holders at once (want 1)", counter, stores*perStore*rounds, maxInside.Load())
	}
	if n, _ := c.Exists(ctx, "{"+prefix+"}/l/issue_cert_a.test").Result(); n != 0 {
		t.Error("lock key left in Redis after the last Unlock")
	}
}

// TestLockRefreshOutlivesTTL: a held lock stays held well past its TTL
// because the holder refreshes it.
func TestLockRefreshOutlivesTTL(t *testing.T) {
	c, a, b := lockHeld(t, "x")
	time.Sleep(2500 * time.Millisecond) // 2.5 TTLs
	if ok, err := b.TryLock(ctx, "x"); ok || err != nil {
		t.Fatalf("TryLock of a refreshed lock = %v, %v; want false", ok, err)
	}
	if pttl := c.PTTL(ctx, a.lockKey("x")).Val(); pttl <= 0 || pttl > time.Second {
		t.Errorf("PTTL %s, want in (0, 1s]", pttl)
	}
	if err := a.Unlock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.TryLock(ctx, "x"); !ok || err != nil {
		t.Fatalf("TryLock after Unlock = %v, %v; want true", ok, err)
	}
	_ = b.Unlock(ctx, "x")
}

// TestLockExpiresWhenHolderVanishes: a holder that stops refreshing (its
// process died) loses the lock within the TTL; a waiter gets it then, not
// before.
func TestLockExpiresWhenHolderVanishes(t *testing.T) {
	_, a, b := lockHeld(t, "issue_cert_a.test")
	vanish(a, "issue_cert_a.test")
	died := time.Now()
	if ok, _ := b.TryLock(ctx, "issue_cert_a.test"); ok {
		t.Fatal("lock free right after its holder vanished; want held until expiry")
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.Lock(wctx, "issue_cert_a.test"); err != nil {
		t.Fatalf("waiter did not get the abandoned lock: %v", err)
	}
	// Correctness bound, not a performance figure: the lease is 1s.
	if waited := time.Since(died); waited > time.Second+500*time.Millisecond {
		t.Errorf("waiter got the lock %s after the holder vanished; lease is 1s", waited)
	}
	if err := b.Unlock(ctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}
}

// TestUnlockByNonHolder: Unlock by a store that does not hold the lock,
// and by a former holder whose lock expired and was taken over, leaves the
// current holder's lock in place.
func TestUnlockByNonHolder(t *testing.T) {
	_, a, b := lockHeld(t, "x")
	if err := b.Unlock(ctx, "x"); !errors.Is(err, ErrNotHeld) {
		t.Errorf("Unlock by a non-holder: %v, want ErrNotHeld", err)
	}
	if ok, _ := b.TryLock(ctx, "x"); ok {
		t.Fatal("Unlock by a non-holder released the lock")
	}

	// a's refresher stops (a stalled process) but a still thinks it
	// holds the lock; b takes it after expiry; a's late Unlock must not
	// delete b's lock.
	a.mu.Lock()
	h := a.held["x"]
	a.mu.Unlock()
	h.halt()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.Lock(wctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := a.RenewLockLease(ctx, "x", time.Minute); !errors.Is(err, ErrLockLost) {
		t.Errorf("RenewLockLease by the former holder: %v, want ErrLockLost", err)
	}
	if err := a.Unlock(ctx, "x"); !errors.Is(err, ErrLockLost) {
		t.Errorf("Unlock by the former holder: %v, want ErrLockLost", err)
	}
	if ok, _ := a.TryLock(ctx, "x"); ok {
		t.Fatal("the former holder's Unlock deleted the new holder's lock")
	}
	if err := b.Unlock(ctx, "x"); err != nil {
		t.Errorf("Unlock by the holder: %v", err)
	}
}

// TestLockHonoursContext: Lock on a held lock returns when ctx ends.
func TestLockHonoursContext(t *testing.T) {
	_, a, b := lockHeld(t, "x")
	defer a.Unlock(ctx, "x")
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := b.Lock(wctx, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock with an expiring context: %v, want DeadlineExceeded", err)
	}
}

// TestRenewLockLease: the holder renews; a lock that vanished from Redis
// (a restart, a failover) is taken back; a non-holder gets ErrNotHeld.
func TestRenewLockLease(t *testing.T) {
	c, a, b := lockHeld(t, "x")
	if err := a.RenewLockLease(ctx, "x", time.Minute); err != nil {
		t.Errorf("RenewLockLease by the holder: %v", err)
	}
	if err := b.RenewLockLease(ctx, "x", time.Minute); !errors.Is(err, ErrNotHeld) {
		t.Errorf("RenewLockLease by a non-holder: %v, want ErrNotHeld", err)
	}
	c.Del(ctx, a.lockKey("x"))
	if err := a.RenewLockLease(ctx, "x", time.Minute); err != nil {
		t.Errorf("RenewLockLease after the key vanished: %v", err)
	}
	if ok, _ := b.TryLock(ctx, "x"); ok {
		t.Error("lock free after RenewLockLease took it back")
	}
	if err := a.Unlock(ctx, "x"); err != nil {
		t.Error(err)
	}
}
