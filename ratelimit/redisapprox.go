package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/redisslot"
)

// DefaultSyncInterval is how often a RedisStore sends the admissions its
// approximate zones made locally.
const DefaultSyncInterval = 50 * time.Millisecond

// maxChargeKeys bounds the keys of one charge script, so that one script
// never holds Redis for long.
const maxChargeKeys = 256

// chargeLua adds admissions that were already made to each key's TAT
// (GCRA's virtual scheduling without the check: the instance decided them
// within its credit) and returns the server time and the new TATs, so that
// the instance's view of each key catches up with every instance's
// admissions.
//
//	KEYS[i]                  the TAT of key i
//	ARGV[2i-1], ARGV[2i]     its emission interval (µs) and the admissions to add
//	returns {now (µs), TAT of key 1 (µs), …}
const chargeLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local res = {now}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if tat < now then tat = now end
  tat = tat + interval * tonumber(ARGV[2 * i])
  redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', string.format('%.0f', math.ceil((tat - now) / 1000)))
  res[i + 1] = tat
end
return res
`

var chargeScript = redis.NewScript(chargeLua)

// hasLease reports whether any check belongs to an approximate zone.
func hasLease(checks []Check) bool {
	for i := range checks {
		if checks[i].Lease > 0 {
			return true
		}
	}
	return false
}

// takeApprox decides checks some of which are approximate: those within
// their credit locally, the rest (exact zones, spent credits) with one
// script, all or nothing. A request whose every check is decided locally
// touches no Redis.
func (s *RedisStore) takeApprox(ctx context.Context, checks []Check, out []Outcome) (bool, error) {
	if s.closed.Load() {
		return false, fmt.Errorf("redis rate limit store: take: %w", errStoreClosed)
	}
	s.startFlusher()
	if errp := s.flushErr.Swap(nil); errp != nil {
		// Report a failed batch once: the caller's breaker opens and its
		// zones fall back, as for a failed decision.
		return false, fmt.Errorf("redis rate limit store: sending approximate admissions: %w", *errp)
	}
	now := s.approx.clock()
	var remoteBuf, admittedBuf [maxChecks]int
	remote, admitted := remoteBuf[:0], admittedBuf[:0]
	allowed := true
	for i := range checks {
		if checks[i].Lease <= 0 {
			remote = append(remote, i)
			continue
		}
		switch s.approx.take(checks[i], now, &out[i]) {
		case approxAdmitted:
			admitted = append(admitted, i)
		case approxDenied:
			allowed = false
		default:
			remote = append(remote, i)
		}
	}
	if !allowed {
		s.undoApprox(ctx, checks, admitted)
		for _, i := range remote {
			// Not asked: what a fresh key reports after one request.
			out[i] = Outcome{Allowed: true, Remaining: max(checks[i].Limit.Burst, 1) - 1, ResetAfter: checks[i].Limit.Interval}
		}
		return false, nil
	}
	if len(remote) == 0 {
		return true, nil
	}
	var subBuf [maxChecks]Check
	var subOut [maxChecks]Outcome
	sub := subBuf[:0]
	for _, i := range remote {
		c := checks[i]
		c.Lease = 0
		sub = append(sub, c)
	}
	ok, err := s.takeExact(ctx, sub, subOut[:len(sub)])
	if err != nil || !ok {
		s.undoApprox(ctx, checks, admitted)
	}
	if err != nil {
		return false, err
	}
	for j, i := range remote {
		out[i] = subOut[j]
	}
	return ok, nil
}

// undoApprox withdraws the local admissions at idx; one whose batch has
// left already is refunded on Redis.
func (s *RedisStore) undoApprox(ctx context.Context, checks []Check, idx []int) {
	var buf [maxChecks]Check
	sent := buf[:0]
	for _, i := range idx {
		if !s.approx.untake(checks[i].Key) {
			c := checks[i]
			c.Lease = 0
			sent = append(sent, c)
		}
	}
	if len(sent) > 0 {
		_ = s.refund(context.WithoutCancel(ctx), sent)
	}
}

// startFlusher starts the batch sender once.
func (s *RedisStore) startFlusher() {
	s.flushStart.Do(func() {
		s.flushStop = make(chan struct{})
		s.flushDone = make(chan struct{})
		go s.flushLoop()
	})
}

// flushLoop sends the pending admissions every sync interval, sweeps one
// shard of idle views, and sends what is left when the store closes.
func (s *RedisStore) flushLoop() {
	defer close(s.flushDone)
	tick := time.NewTicker(s.syncInterval)
	defer tick.Stop()
	var buf []charge
	for shard := 0; ; shard++ {
		select {
		case <-s.flushStop:
			s.flush(buf)
			return
		case <-tick.C:
		}
		buf = s.flush(buf)
		s.approx.sweep(shard, s.approx.clock())
	}
}

// flush sends every pending admission (one pipeline of charge scripts)
// and updates the views from the replies. A batch that fails goes back to
// pending and its error is kept for the next decision.
func (s *RedisStore) flush(buf []charge) []charge {
	buf = s.approx.collect(buf[:0])
	if len(buf) == 0 {
		return buf
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	groups := s.chargeGroups(buf)
	before := s.approx.clock()
	cmds := s.pipelineScripts(ctx, len(groups), func(g int) (*redis.Script, []string, []any) {
		idx := groups[g]
		keys, args := make([]string, len(idx)), make([]any, 0, 2*len(idx))
		for j, i := range idx {
			c := buf[i]
			keys[j] = s.key(Check{Zone: c.zone, Key: c.key})
			args = append(args, micros(c.limit.Interval), c.n)
		}
		return chargeScript, keys, args
	})
	after := s.approx.clock()
	var firstErr error
	for g, idx := range groups {
		vals, err := cmds[g].Slice()
		if err == nil && len(vals) != 1+len(idx) {
			err = fmt.Errorf("unexpected charge reply of %d elements for %d keys", len(vals), len(idx))
		}
		var now int64
		if err == nil {
			now, err = replyInt(vals[0])
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			for _, i := range idx {
				s.approx.restore(buf[i])
			}
			continue
		}
		// The server's clock minus ours, with the reply's half round trip
		// as its error.
		offset := now*1000 - (before+after)/2
		s.approx.offset.Store(offset)
		for j, i := range idx {
			tat, err := replyInt(vals[1+j])
			if err != nil {
				s.approx.restore(buf[i])
				continue
			}
			s.approx.settle(buf[i], tat*1000-offset)
		}
	}
	if firstErr != nil {
		err := fmt.Errorf("%d keys: %w", len(buf), firstErr)
		s.flushErr.Store(&err)
	}
	return buf
}

// chargeGroups splits charges into scripts: at most maxChargeKeys keys
// each, and on Redis Cluster one hash slot each (on a Ring, one key each).
func (s *RedisStore) chargeGroups(cs []charge) [][]int {
	var groups [][]int
	if s.cluster == nil && !s.perKey {
		for i := 0; i < len(cs); i += maxChargeKeys {
			g := make([]int, 0, min(maxChargeKeys, len(cs)-i))
			for j := i; j < len(cs) && j < i+maxChargeKeys; j++ {
				g = append(g, j)
			}
			groups = append(groups, g)
		}
		return groups
	}
	if s.perKey {
		for i := range cs {
			groups = append(groups, []int{i})
		}
		return groups
	}
	bySlot := map[uint16]int{}
	for i, c := range cs {
		slot := redisslot.Of(s.key(Check{Zone: c.zone, Key: c.key}))
		g, ok := bySlot[slot]
		if !ok || len(groups[g]) >= maxChargeKeys {
			g = len(groups)
			bySlot[slot] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// replyInt reads an integer element of a script reply.
func replyInt(v any) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("unexpected script reply element of type %T", v)
	}
	return n, nil
}

// stopFlusher sends what is pending and stops the batch sender.
func (s *RedisStore) stopFlusher() {
	// Once stopped (or never started), the flusher cannot start again.
	s.closed.Store(true)
	s.flushStart.Do(func() {})
	if s.flushStop == nil {
		return
	}
	s.flushStopOnce.Do(func() { close(s.flushStop) })
	select {
	case <-s.flushDone:
	case <-time.After(2 * s.timeout):
	}
}
