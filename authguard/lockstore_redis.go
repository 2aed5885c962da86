package authguard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLockStoreOptions configure a RedisLockStore.
type RedisLockStoreOptions struct {
	// Prefix starts every key. Default "ocomms:lk:". Keep braces out of
	// it: the per-account hash tag follows it.
	Prefix string
	// Timeout bounds each Update and each Scan page. Default 200ms.
	Timeout time.Duration
	// Clock replaces the Redis server's clock. For tests only: instances
	// sharing a Redis must decide on one clock, the server's.
	Clock func() time.Time
}

// Defaults for RedisLockStoreOptions.
const (
	DefaultLockRedisPrefix  = "ocomms:lk:"
	DefaultLockRedisTimeout = 200 * time.Millisecond
)

// RedisLockStore keeps the lockout's records in Redis (standalone,
// Sentinel or Cluster; Redis 7+), so locks survive restarts and are shared
// by instances. Every write is one Lua script: a compare-and-set that
// applies the new value only if the record is still the one the decision
// was computed from, with the Redis server's TIME; on a conflict the
// script hands back the current record and the decision is recomputed.
// Each record has a TTL, so idle state expires on its own.
type RedisLockStore struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	clock   func() time.Time
	seed    maphash.Seed
	// stripes serialise this instance's updates of one key, so that its
	// own goroutines never fight over a record (a burst from one IP, on
	// one account); compare-and-set conflicts then only come from other
	// instances.
	stripes [redisStripes]chan struct{}
}

const redisStripes = 1024

// NewRedisLockStore returns a store over client (the caller closes it).
func NewRedisLockStore(client redis.UniversalClient, o RedisLockStoreOptions) *RedisLockStore {
	if o.Prefix == "" {
		o.Prefix = DefaultLockRedisPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultLockRedisTimeout
	}
	s := &RedisLockStore{client: client, prefix: o.Prefix, timeout: o.Timeout, clock: o.Clock, seed: maphash.MakeSeed()}
	for i := range s.stripes {
		s.stripes[i] = make(chan struct{}, 1)
	}
	return s
}

// loadScript reads a record and the server time.
//
//	returns {value or false, seconds, microseconds}
var loadScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
local t = redis.call('TIME')
return {v, t[1], t[2]}
`)

// swapScript sets KEYS[1] to ARGV[3] if it still holds ARGV[2] (ARGV[1]
// is "1" when the record was absent), with a TTL of ARGV[4] ms (0: none);
// an empty ARGV[3] deletes.
//
//	returns {1 or 0, the current value when 0, seconds, microseconds}
var swapScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
local t = redis.call('TIME')
local match
if ARGV[1] == '1' then match = (cur == false) else match = (cur == ARGV[2]) end
if not match then return {0, cur, t[1], t[2]} end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[3])
end
return {1, false, t[1], t[2]}
`)

// maxSwapRounds bounds the retries of one update (the timeout bounds its
// time).
const maxSwapRounds = 1000

// Update implements LockStore.
func (s *RedisLockStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	stripe := s.stripes[maphash.String(s.seed, key)%redisStripes]
	select {
	case stripe <- struct{}{}:
		defer func() { <-stripe }()
	case <-ctx.Done():
		return fmt.Errorf("lockout store: waiting for a record: %w", ctx.Err())
	}
	k := s.prefix + key
	res, err := loadScript.Run(ctx, s.client, []string{k}).Slice()
	if err != nil {
		return fmt.Errorf("lockout store: reading a record: %w", err)
	}
	cur, now, err := s.decode(res, 0)
	if err != nil {
		return err
	}
	for round := 0; round < maxSwapRounds; round++ {
		next, ttl := fn(now, cur)
		if next != nil && cur != nil && bytes.Equal(next, cur) || next == nil && cur == nil {
			return nil
		}
		absent := "0"
		if cur == nil {
			absent = "1"
		}
		ms := int64(0)
		if ttl > 0 {
			ms = max(ttl.Milliseconds(), 1)
		}
		res, err := swapScript.Run(ctx, s.client, []string{k}, absent, cur, next, strconv.FormatInt(ms, 10)).Slice()
		if err != nil {
			return fmt.Errorf("lockout store: writing a record: %w", err)
		}
		if len(res) != 4 {
			return errors.New("lockout store: malformed script reply")
		}
		if ok, _ := res[0].(int64); ok == 1 {
			return nil
		}
		if cur, now, err = s.decode(res, 1); err != nil {
			return err
		}
		if round >= 3 {
			// Many instances writing one record: spread them out a little.
			select {
			case <-time.After(time.Duration(rand.IntN(1000*min(round-2, 10))) * time.Microsecond):
			case <-ctx.Done():
				return fmt.Errorf("lockout store: %w", ctx.Err())
			}
		}
	}
	return ErrStoreContention
}

// decode reads {value, seconds, microseconds} starting at res[i].
func (s *RedisLockStore) decode(res []any, i int) ([]byte, time.Time, error) {
	if len(res) < i+3 {
		return nil, time.Time{}, errors.New("lockout store: malformed script reply")
	}
	var cur []byte
	if v, ok := res[i].(string); ok {
		cur = []byte(v)
	}
	sec, err1 := strconv.ParseInt(fmt.Sprint(res[i+1]), 10, 64)
	usec, err2 := strconv.ParseInt(fmt.Sprint(res[i+2]), 10, 64)
	if err1 != nil || err2 != nil {
		return nil, time.Time{}, errors.New("lockout store: malformed server time")
	}
	now := time.Unix(sec, usec*1000)
	if s.clock != nil {
		now = s.clock()
	}
	return cur, now, nil
}

// Scan implements LockStore with SCAN on every master.
func (s *RedisLockStore) Scan(ctx context.Context, prefix string, fn func(key string, val []byte) error) error {
	pattern := escapeGlob(s.prefix+prefix) + "*"
	// Cluster and Ring scan their shards concurrently; fn sees one record
	// at a time.
	var mu sync.Mutex
	emit := func(key string, val []byte) error {
		mu.Lock()
		defer mu.Unlock()
		return fn(key, val)
	}
	scan := func(ctx context.Context, c *redis.Client) error {
		var cursor uint64
		for {
			pctx, cancel := context.WithTimeout(ctx, s.timeout)
			keys, next, err := c.Scan(pctx, cursor, pattern, 500).Result()
			if err != nil {
				cancel()
				return fmt.Errorf("lockout store: listing: %w", err)
			}
			if len(keys) > 0 {
				vals, err := c.MGet(pctx, keys...).Result()
				if err != nil && !errors.Is(err, redis.Nil) {
					// Cluster: keys of one page may span slots; read one by one.
					vals = make([]any, len(keys))
					for i, k := range keys {
						v, err := c.Get(pctx, k).Result()
						if err == nil {
							vals[i] = v
						} else if !errors.Is(err, redis.Nil) {
							cancel()
							return fmt.Errorf("lockout store: listing: %w", err)
						}
					}
				}
				for i, k := range keys {
					if v, ok := vals[i].(string); ok {
						if err := emit(k[len(s.prefix):], []byte(v)); err != nil {
							cancel()
							return err
						}
					}
				}
			}
			cancel()
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, scan)
	case *redis.Client:
		return scan(ctx, c)
	case *redis.Ring:
		return c.ForEachShard(ctx, scan)
	default:
		return fmt.Errorf("lockout store: listing needs a *redis.Client, *redis.ClusterClient or *redis.Ring, not %T", c)
	}
}

// escapeGlob escapes SCAN MATCH metacharacters.
func escapeGlob(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}
