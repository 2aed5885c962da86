package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configures a RedisStore.
type RedisOptions struct {
	// Prefix starts every key. Default: "ocomms:rl:". Braces in the prefix
	// would become every key's cluster hash tag and put all keys in one
	// slot, so leave them out.
	Prefix string
	// Timeout bounds every Take, Refund and Ping, so that a stalled Redis
	// cannot hold a request. Default: 50ms.
	Timeout time.Duration
	// SyncInterval is how often the admissions approximate zones made
	// locally are sent to Redis, in one batch. Default: 50ms.
	SyncInterval time.Duration
	// MaxKeys bounds the keys whose view approximate zones keep. Default:
	// 1,000,000.
	MaxKeys int
}

// Defaults for RedisOptions.
const (
	DefaultRedisPrefix  = "ocomms:rl:"
	DefaultRedisTimeout = 50 * time.Millisecond
)

// RedisStore keeps GCRA state in Redis, one string per (zone, key) holding
// the theoretical arrival time in microseconds on the Redis server's clock,
// so that every instance sharing the Redis decides on one clock and the
// limits are exact across instances.
//
// A Take is one round trip: one EVALSHA deciding every check (one per hash
// slot on Redis Cluster, pipelined). It works with standalone, Sentinel
// (failover) and Cluster clients; it needs Redis 7 or later, which
// replicates a script's effects rather than the script, so the script may
// read TIME.
type RedisStore struct {
	client  redis.UniversalClient
	cluster *redis.ClusterClient // set for Redis Cluster: checks are grouped by slot
	// batch coalesces concurrent decisions into pipelines (standalone and
	// Sentinel clients, where every key lives on one server).
	batch   *scriptBatcher
	perKey  bool // a Ring: every key may live on its own shard
	prefix  string
	timeout time.Duration
	// ctxDeadlines reports whether the client applies context deadlines to
	// its sockets (ContextTimeoutEnabled). When it does not, calls run on
	// their own goroutine and are abandoned at the deadline.
	ctxDeadlines bool

	// Approximate zones (see approx.go): the local views, the batch
	// sender and the error of its last failed batch, reported once.
	approx        *approxTable
	syncInterval  time.Duration
	flushStart    sync.Once
	flushStopOnce sync.Once
	flushStop     chan struct{}
	flushDone     chan struct{}
	flushErr      atomic.Pointer[error]
	closed        atomic.Bool
}

// NewRedisStore returns a store over client. The client should have
// ContextTimeoutEnabled set: then a stalled call ends at the deadline; without
// it the store still answers at the deadline but leaves the call running
// until the client's own read timeout.
func NewRedisStore(client redis.UniversalClient, opts RedisOptions) *RedisStore {
	if opts.Prefix == "" {
		opts.Prefix = DefaultRedisPrefix
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultRedisTimeout
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = DefaultSyncInterval
	}
	s := &RedisStore{client: client, prefix: opts.Prefix, timeout: opts.Timeout,
		approx: newApproxTable(opts.MaxKeys, nil), syncInterval: opts.SyncInterval}
	switch c := client.(type) {
	case *redis.Client:
		s.ctxDeadlines = c.Options().ContextTimeoutEnabled
		s.batch = newScriptBatcher(s)
	case *redis.ClusterClient:
		s.cluster = c
		s.ctxDeadlines = c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		s.perKey = true
		s.ctxDeadlines = c.Options().ContextTimeoutEnabled
	}
	return s
}

// Close stops the store's batching workers. The client is the caller's to
// close. Calls after Close fail, which a ResilientStore turns into its
// fallback.
func (s *RedisStore) Close() error {
	s.stopFlusher()
	if s.batch != nil {
		s.batch.close()
	}
	return nil
}

// takeLua decides every key with GCRA (virtual scheduling, as gcra() does)
// and charges them all only when all allow, with an expiry at the new TAT
// so idle keys vanish. Times are integer microseconds on the server clock;
// they stay below 2^53, so Lua's doubles hold them exactly.
//
//	KEYS[i]                  the TAT of check i
//	ARGV[2i-1], ARGV[2i]     its emission interval (µs) and burst
//	returns {all allowed, then per check: allowed, remaining, retry after (µs), reset after (µs)}
const takeLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local res = {1}
local tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tau = interval * tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if tat < now then tat = now end
  local new = tat + interval
  local allow_at = new - tau
  local n = #res
  if now < allow_at then
    res[1] = 0
    res[n + 1], res[n + 2], res[n + 3], res[n + 4] = 0, 0, allow_at - now, tat - now
  else
    res[n + 1], res[n + 2], res[n + 3], res[n + 4] = 1, math.floor((now - allow_at) / interval), 0, new - now
    tats[i] = new
  end
end
if res[1] == 1 then
  for i = 1, #KEYS do
    local ttl = math.ceil((tats[i] - now) / 1000)
    redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', string.format('%.0f', ttl))
  end
end
return res
`

// refundLua moves each existing TAT one interval back, deleting keys whose
// budget is full again (TAT at or before now).
//
//	KEYS[i]   the TAT of check i
//	ARGV[i]   its emission interval (µs)
const refundLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '')
  if tat then
    tat = tat - tonumber(ARGV[i])
    if tat <= now then
      redis.call('DEL', KEYS[i])
    else
      local ttl = math.ceil((tat - now) / 1000)
      redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', string.format('%.0f', ttl))
    end
  end
end
return 0
`

var (
	takeScript   = redis.NewScript(takeLua)
	refundScript = redis.NewScript(refundLua)
)

// key is where check c's TAT lives: prefix{zone:hash}. The braces make the
// zone and hash the cluster hash tag, so each key hashes on its own.
func (s *RedisStore) key(c Check) string {
	return s.prefix + "{" + c.Zone + ":" + c.Key.String() + "}"
}

// micros converts d to whole microseconds, rounded, at least 1: the unit of
// the Redis clock.
func micros(d time.Duration) int64 {
	us := int64((d + time.Microsecond/2) / time.Microsecond)
	if us < 1 {
		us = 1
	}
	return us
}

// Ping checks that Redis answers, within the store's timeout.
func (s *RedisStore) Ping(ctx context.Context) error {
	_, err := s.call(ctx, func(ctx context.Context) (any, error) {
		return nil, s.client.Ping(ctx).Err()
	})
	if err != nil {
		return fmt.Errorf("redis rate limit store: ping: %w", err)
	}
	return nil
}

// Take decides all checks together on the Redis server's clock: when every
// check allows, all are charged; when any denies, none is. Outcomes carry
// microsecond precision.
//
// On Redis Cluster, checks whose keys fall in different hash slots run as
// one script per slot, pipelined (one round trip per node, in parallel).
// When some slots allow and another denies, the allowed slots are refunded
// at once: the only case that costs a second round trip.
func (s *RedisStore) Take(ctx context.Context, checks []Check, out []Outcome) (bool, error) {
	if len(out) < len(checks) {
		return false, fmt.Errorf("redis rate limit store: take: %d outcomes for %d checks", len(out), len(checks))
	}
	if len(checks) == 0 {
		return true, nil
	}
	if hasLease(checks) {
		return s.takeApprox(ctx, checks, out)
	}
	return s.takeExact(ctx, checks, out)
}

// takeExact decides every check with the take script.
func (s *RedisStore) takeExact(ctx context.Context, checks []Check, out []Outcome) (bool, error) {
	groups := s.groups(checks)
	var (
		allowed bool
		err     error
	)
	if len(groups) == 1 {
		allowed, err = s.takeOne(ctx, checks, out)
	} else {
		allowed, err = s.takeGroups(ctx, checks, out, groups)
	}
	if err != nil {
		return false, fmt.Errorf("redis rate limit store: take: %w", err)
	}
	return allowed, nil
}

// takeOne runs one script over every check.
func (s *RedisStore) takeOne(ctx context.Context, checks []Check, out []Outcome) (bool, error) {
	keys, args := s.takeArgs(checks, nil)
	res, err := s.call(ctx, func(ctx context.Context) (any, error) {
		if s.batch != nil {
			return s.batch.run(ctx, takeScript, keys, args)
		}
		return takeScript.Run(ctx, s.client, keys, args...).Result()
	})
	if err != nil {
		return false, err
	}
	return decodeTake(res, out[:len(checks)], nil)
}

// takeGroups runs one script per group in a pipeline and refunds the groups
// it charged when another group denies or fails.
func (s *RedisStore) takeGroups(ctx context.Context, checks []Check, out []Outcome, groups [][]int) (bool, error) {
	res, err := s.call(ctx, func(ctx context.Context) (any, error) {
		return s.pipelined(ctx, takeScript, len(groups), func(g int) ([]string, []any) {
			return s.takeArgs(checks, groups[g])
		}), nil
	})
	if err != nil {
		return false, err
	}
	cmds := res.([]*redis.Cmd)
	allowed := true
	var firstErr error
	var charged []Check
	for g, idx := range groups {
		v, err := cmds[g].Result()
		var ok bool
		if err == nil {
			ok, err = decodeTake(v, out, idx)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			allowed = false
			continue
		}
		if ok {
			for _, i := range idx {
				charged = append(charged, checks[i])
			}
		}
		allowed = allowed && ok
	}
	if !allowed && len(charged) > 0 {
		// Undo this request's charge in the slots that admitted it, on a
		// fresh deadline: the take's may be spent.
		if err := s.refund(context.WithoutCancel(ctx), charged); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("undoing a partial charge: %w", err)
		}
	}
	if firstErr != nil {
		return false, firstErr
	}
	return allowed, nil
}

// Refund gives one request back to each check's key, on the Redis server's
// clock.
func (s *RedisStore) Refund(ctx context.Context, checks []Check) error {
	if hasLease(checks) {
		// An approximate admission not yet sent is withdrawn locally.
		var buf [maxChecks]Check
		rest := buf[:0]
		for _, c := range checks {
			if c.Lease > 0 && s.approx.untake(c.Key) {
				continue
			}
			c.Lease = 0
			rest = append(rest, c)
		}
		checks = rest
	}
	if err := s.refund(ctx, checks); err != nil {
		return fmt.Errorf("redis rate limit store: refund: %w", err)
	}
	return nil
}

// refund runs the refund script, one per group.
func (s *RedisStore) refund(ctx context.Context, checks []Check) error {
	if len(checks) == 0 {
		return nil
	}
	groups := s.groups(checks)
	_, err := s.call(ctx, func(ctx context.Context) (any, error) {
		if len(groups) == 1 {
			keys, args := s.refundArgs(checks, nil)
			return nil, refundScript.Run(ctx, s.client, keys, args...).Err()
		}
		cmds := s.pipelined(ctx, refundScript, len(groups), func(g int) ([]string, []any) {
			return s.refundArgs(checks, groups[g])
		})
		for _, c := range cmds {
			if err := c.Err(); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// call runs fn under the store's timeout. When the client ignores context
// deadlines, fn runs on its own goroutine and the caller gets the deadline's
// error on time; fn's result is then dropped.
func (s *RedisStore) call(ctx context.Context, fn func(context.Context) (any, error)) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if s.ctxDeadlines {
		return fn(ctx)
	}
	type result struct {
		v   any
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
