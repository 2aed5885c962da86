package lockout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/redisslot"
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
// applies the new values only if the records still hold the values the
// decision was computed from, and only if the decision's time is within
// clockTolerance of the Redis server's TIME; on a conflict the script
// hands back the current records and time and the decision is recomputed.
// Each record has a TTL, so idle state expires on its own.
//
// The store remembers the last value it saw of each record and the
// server's clock offset, so a decision is usually computed before any
// round trip and the compare-and-set is the only one: one script per
// Update or UpdateMulti (records this instance has not seen are assumed
// absent; when they exist the first script returns them, a second one
// writes). UpdateMulti of records in one hash slot (always, except on
// Redis Cluster) is one script, atomic across the records.
type RedisLockStore struct {
	client  redis.UniversalClient
	cluster bool // keys in different hash slots cannot share a script
	prefix  string
	timeout time.Duration
	clock   func() time.Time
	seed    maphash.Seed
	// stripes serialise this instance's updates of one key, so that its
	// own goroutines never fight over a record (a burst from one IP, on
	// one account); compare-and-set conflicts then only come from other
	// instances.
	stripes [redisStripes]chan struct{}

	// offset is the server's clock minus ours (ns), from the last reply.
	offset atomic.Int64
	// seen caches the last value seen of each record (by full key).
	seenMu sync.Mutex
	seen   map[string]seenRec
	// scripts counts the scripts run, for tests and benchmarks.
	scripts atomic.Int64
}

// seenRec is a record's last known value (nil: absent).
type seenRec struct{ val []byte }

const (
	redisStripes = 1024
	// maxSeen bounds the cache of last seen records; a full cache starts
	// over (a miss costs one more round trip, never a wrong decision).
	maxSeen = 1 << 16
	// clockTolerance is how far the time a decision was computed with may
	// be from the server's TIME when the script runs; past it the script
	// refuses and the decision is recomputed at the server's time.
	clockTolerance = 100 * time.Millisecond
)

// NewRedisLockStore returns a store over client (the caller closes it).
func NewRedisLockStore(client redis.UniversalClient, o RedisLockStoreOptions) *RedisLockStore {
	if o.Prefix == "" {
		o.Prefix = DefaultLockRedisPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultLockRedisTimeout
	}
	s := &RedisLockStore{client: client, prefix: o.Prefix, timeout: o.Timeout, clock: o.Clock, seed: maphash.MakeSeed(),
		seen: map[string]seenRec{}}
	switch client.(type) {
	case *redis.ClusterClient, *redis.Ring:
		s.cluster = true
	}
	for i := range s.stripes {
		s.stripes[i] = make(chan struct{}, 1)
	}
	return s
}

// casScript is a compare-and-set over KEYS at the server's time.
//
//	ARGV[1]    the decision's time (ms), or '' to skip the clock check
//	ARGV[2]    the tolerance (ms)
//	then five per key i, from ARGV[3 + 5(i-1)]:
//	  expected state: 'a' (absent) or 'v' (the value that follows)
//	  expected value
//	  action: 'k' keep, 'd' delete, 's' set
//	  new value
//	  TTL in ms (0: none)
//
//	returns {1, seconds, microseconds} when applied, else
//	        {0, seconds, microseconds, current value or false per key}
var casScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ok = true
if ARGV[1] ~= '' and math.abs(now - tonumber(ARGV[1])) > tonumber(ARGV[2]) then ok = false end
local cur = {}
for i = 1, #KEYS do
  cur[i] = redis.call('GET', KEYS[i])
  local b = 3 + 5 * (i - 1)
  if ARGV[b] == 'a' then
    if cur[i] ~= false then ok = false end
  elseif cur[i] ~= ARGV[b + 1] then
    ok = false
  end
end
if not ok then
  local res = {0, t[1], t[2]}
  for i = 1, #KEYS do res[3 + i] = cur[i] end
  return res
end
for i = 1, #KEYS do
  local b = 3 + 5 * (i - 1)
  local act = ARGV[b + 2]
  if act == 'd' then
    redis.call('DEL', KEYS[i])
  elseif act == 's' then
    if tonumber(ARGV[b + 4]) > 0 then
      redis.call('SET', KEYS[i], ARGV[b + 3], 'PX', ARGV[b + 4])
    else
      redis.call('SET', KEYS[i], ARGV[b + 3])
    end
  end
end
return {1, t[1], t[2]}
`)

// maxSwapRounds bounds the retries of one update (the timeout bounds its
// time).
const maxSwapRounds = 1000

// Update implements LockStore.
func (s *RedisLockStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	_, err := s.update(ctx, []string{key}, fn.multi())
	return err
}

// UpdateMulti implements MultiLockStore: one script for all keys when
// they share a hash slot; on Redis Cluster, keys in different slots are
// refused (false).
func (s *RedisLockStore) UpdateMulti(ctx context.Context, keys []string, fn MultiUpdateFunc) (bool, error) {
	if s.cluster && len(keys) > 1 {
		slot := redisslot.Of(s.prefix + keys[0])
		for _, k := range keys[1:] {
			if redisslot.Of(s.prefix+k) != slot {
				return false, nil
			}
		}
	}
	return s.update(ctx, keys, fn)
}

// update runs the compare-and-set loop over keys.
func (s *RedisLockStore) update(ctx context.Context, keys []string, fn MultiUpdateFunc) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.lockStripes(ctx, keys); err != nil {
		return true, err
	}
	defer s.unlockStripes(keys)
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + k
	}
	cur := s.lookup(full)
	now, checked := s.estimate()
	args := make([]any, 2, 2+5*len(keys))
	for round := 0; round < maxSwapRounds; round++ {
		next, ttl := fn(now, cur)
		args = args[:2]
		args[0], args[1] = "", clockTolerance.Milliseconds()
		if checked {
			args[0] = now.UnixMilli()
		}
		for i := range keys {
			expState := "v"
			if cur[i] == nil {
				expState = "a"
			}
			act, ms := "s", int64(0)
			switch {
			case next[i] == nil && cur[i] == nil, next[i] != nil && cur[i] != nil && bytes.Equal(next[i], cur[i]):
				act = "k"
			case next[i] == nil:
				act = "d"
			case ttl[i] > 0:
				ms = max(ttl[i].Milliseconds(), 1)
			}
			args = append(args, expState, cur[i], act, next[i], ms)
		}
		s.scripts.Add(1)
		sent := time.Now()
		res, err := casScript.Run(ctx, s.client, full, args...).Slice()
		if err != nil {
			s.forget(full)
			return true, fmt.Errorf("lockout store: updating a record: %w", err)
		}
		srvNow, err := s.serverTime(res, sent)
		if err != nil {
			s.forget(full)
			return true, err
		}
		if ok, _ := res[0].(int64); ok == 1 {
			s.remember(full, next)
			return true, nil
		}
		if len(res) != 3+len(keys) {
			s.forget(full)
			return true, errors.New("lockout store: malformed script reply")
		}
		for i := range keys {
			cur[i] = nil
			if v, ok := res[3+i].(string); ok {
				cur[i] = []byte(v)
			}
		}
		s.remember(full, cur)
		// Recompute at the server's time (or the test clock).
		now, checked = srvNow, false
		if s.clock != nil {
			now = s.clock()
		}
		if round >= 3 {
			// Many instances writing one record: spread them out a little.
			select {
			case <-time.After(time.Duration(rand.IntN(1000*min(round-2, 10))) * time.Microsecond):
			case <-ctx.Done():
				return true, fmt.Errorf("lockout store: %w", ctx.Err())
			}
		}
	}
	return true, ErrStoreContention
}

// estimate returns the time to decide with before any round trip: the
// test clock, or ours corrected by the server's offset; checked reports
// whether the script must verify it (always, unless a test clock rules).
func (s *RedisLockStore) estimate() (time.Time, bool) {
	if s.clock != nil {
		return s.clock(), false
	}
	return time.Now().Add(time.Duration(s.offset.Load())), true
}

// serverTime reads the {_, seconds, microseconds} of a reply, updates the
// clock offset and returns the server's time.
func (s *RedisLockStore) serverTime(res []any, sent time.Time) (time.Time, error) {
	if len(res) < 3 {
		return time.Time{}, errors.New("lockout store: malformed script reply")
	}
	sec, err1 := strconv.ParseInt(fmt.Sprint(res[1]), 10, 64)
	usec, err2 := strconv.ParseInt(fmt.Sprint(res[2]), 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, errors.New("lockout store: malformed server time")
	}
	srv := time.Unix(sec, usec*1000)
	recv := time.Now()
	mid := sent.Add(recv.Sub(sent) / 2)
	s.offset.Store(int64(srv.Sub(mid)))
	return srv, nil
}

// lookup returns the last seen values of keys (nil: absent or unknown).
func (s *RedisLockStore) lookup(keys []string) [][]byte {
	cur := make([][]byte, len(keys))
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	for i, k := range keys {
		cur[i] = s.seen[k].val
	}
	return cur
}

// remember records the values keys hold now.
func (s *RedisLockStore) remember(keys []string, vals [][]byte) {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	if len(s.seen) >= maxSeen {
		clear(s.seen)
	}
	for i, k := range keys {
		if vals[i] == nil {
			delete(s.seen, k)
		} else {
			s.seen[k] = seenRec{val: append([]byte(nil), vals[i]...)}
		}
	}
}

// forget drops keys from the cache: after an error their state is unknown.
func (s *RedisLockStore) forget(keys []string) {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	for _, k := range keys {
		delete(s.seen, k)
	}
}

// lockStripes takes this instance's stripes of keys, in stripe order.
func (s *RedisLockStore) lockStripes(ctx context.Context, keys []string) error {
	idx := s.stripeIndexes(keys)
	for n, i := range idx {
		select {
		case s.stripes[i] <- struct{}{}:
		case <-ctx.Done():
			for _, j := range idx[:n] {
				<-s.stripes[j]
			}
			return fmt.Errorf("lockout store: waiting for a record: %w", ctx.Err())
		}
	}
	return nil
}

func (s *RedisLockStore) unlockStripes(keys []string) {
	for _, i := range s.stripeIndexes(keys) {
		<-s.stripes[i]
	}
}

// stripeIndexes returns the distinct stripes of keys, sorted.
func (s *RedisLockStore) stripeIndexes(keys []string) []int {
	idx := make([]int, 0, len(keys))
	for _, k := range keys {
		if i := int(maphash.String(s.seed, k) % redisStripes); !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	return idx
}

// Scripts returns how many scripts the store has run: its round trips.
func (s *RedisLockStore) Scripts() int64 { return s.scripts.Load() }

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
