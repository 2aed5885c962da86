package ratelimit

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/redisslot"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// tatMicros reads a key's stored TAT (0 when the key does not exist).
func tatMicros(t *testing.T, c redis.Cmdable, key string) int64 {
	t.Helper()
	v, err := c.Get(context.Background(), key).Result()
	if err == redis.Nil {
		return 0
	}
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("TAT %q is not an integer: %v", v, err)
	}
	return n
}

func rlCheck(zone string, id uint64, interval time.Duration, burst int64) Check {
	var k KeyHash
	binary.BigEndian.PutUint64(k[:8], id)
	return Check{Zone: zone, Key: k, Limit: Limit{Interval: interval, Burst: burst}}
}

func TestRedisKeyAndDefaults(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: deadAddr(t)})
	defer c.Close()
	s := NewRedisStore(c, RedisOptions{})
	chk := rlCheck("login", 1, time.Minute, 1)
	want := "ocomms:rl:{login:" + chk.Key.String() + "}"
	if got := s.key(chk); got != want {
		t.Fatalf("key = %q, want %q", got, want)
	}
	if s.timeout != DefaultRedisTimeout || s.ctxDeadlines {
		t.Fatalf("timeout %v, context deadlines %v: want the 50ms default and no deadlines for a client without ContextTimeoutEnabled", s.timeout, s.ctxDeadlines)
	}
	if got := micros(1500 * time.Nanosecond); got != 2 {
		t.Fatalf("micros(1.5µs) = %d, want 2 (rounded)", got)
	}
	if got := micros(0); got != 1 {
		t.Fatalf("micros(0) = %d, want at least 1", got)
	}
}

// TestRedisMatchesGCRA runs one sequence (a burst, a denial, admission after
// waiting exactly RetryAfter, a full reset) on Redis and the memory store.
// Every Redis answer is also replayed through gcra() at the server time it
// implies, which must reproduce it exactly.
func TestRedisMatchesGCRA(t *testing.T) {
	c := testsupport.SharedRedis(t)
	rs := NewRedisStore(c, RedisOptions{Prefix: testPrefix(t, c), Timeout: time.Second})
	mem := NewMemoryStore(0, nil)
	chk := rlCheck("seq", 1, 200*time.Millisecond, 3)
	key := rs.key(chk)

	step := func(name string, wantAllowed bool, wantRemaining int64) (Outcome, Outcome) {
		t.Helper()
		prev := tatMicros(t, c, key)
		memOK, memOut := take(t, mem, chk)
		ok, out := take(t, rs, chk)
		cur := tatMicros(t, c, key)
		o := out[0]
		if ok != wantAllowed || o.Allowed != ok || o.Remaining != wantRemaining {
			t.Fatalf("%s: redis allowed=%v remaining=%d, want %v, %d", name, ok, o.Remaining, wantAllowed, wantRemaining)
		}
		if memOK != ok || memOut[0].Remaining != o.Remaining {
			t.Fatalf("%s: memory store allowed=%v remaining=%d, redis %v, %d", name, memOK, memOut[0].Remaining, ok, o.Remaining)
		}
		for _, d := range []struct {
			what      string
			mem, redi time.Duration
		}{{"retry", memOut[0].RetryAfter, o.RetryAfter}, {"reset", memOut[0].ResetAfter, o.ResetAfter}} {
			if diff := d.mem - d.redi; diff > 50*time.Millisecond || diff < -50*time.Millisecond {
				t.Fatalf("%s: %s after: memory %v, redis %v", name, d.what, d.mem, d.redi)
			}
		}
		// The server time this answer was made at.
		var now int64
		if ok {
			now = cur - o.ResetAfter.Microseconds()
		} else {
			now = prev - o.ResetAfter.Microseconds()
			if cur != prev {
				t.Fatalf("%s: a denial changed the TAT from %d to %d", name, prev, cur)
			}
		}
		if skew := time.Duration(now-time.Now().UnixMicro()) * time.Microsecond; skew > time.Second || skew < -time.Second {
			t.Fatalf("%s: implied server time is %v from this clock: not microseconds of TIME", name, skew)
		}
		want, wantTAT := gcra(prev*1000, now*1000, chk.Limit)
		if want != o {
			t.Fatalf("%s: redis %+v, gcra() at the same instant %+v", name, o, want)
		}
		if ok && wantTAT != cur*1000 {
			t.Fatalf("%s: stored TAT %dµs, gcra() %dns", name, cur, wantTAT)
		}
		return o, memOut[0]
	}

	step("1st", true, 2)
	step("2nd", true, 1)
	step("3rd", true, 0)
	o, m := step("4th", false, 0)
	if o.RetryAfter < 150*time.Millisecond || o.RetryAfter > 200*time.Millisecond {
		t.Fatalf("retry after %v, want about one interval", o.RetryAfter)
	}
	time.Sleep(max(o.RetryAfter, m.RetryAfter))
	step("after RetryAfter", true, 0)
	o, m = step("again", false, 0)
	time.Sleep(max(o.ResetAfter, m.ResetAfter))
	step("after ResetAfter", true, 2)
}

// TestRedisExactAcrossInstances: 1,000 concurrent requests through three
// separate clients (three edge instances) on 5/15m admit exactly 5.
func TestRedisExactAcrossInstances(t *testing.T) {
	shared := testsupport.SharedRedis(t)
	prefix := testPrefix(t, shared)
	stores := make([]*RedisStore, 3)
	for i := range stores {
		c := redis.NewClient(&redis.Options{Addr: testsupport.SharedRedisAddr, ContextTimeoutEnabled: true, PoolSize: 50})
		defer c.Close()
		stores[i] = NewRedisStore(c, RedisOptions{Prefix: prefix, Timeout: 10 * time.Second})
	}
	chk := rlCheck("login", 7, 3*time.Minute, 5)
	var admitted, failed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(s Store) {
			defer wg.Done()
			<-start
			out := make([]Outcome, 1)
			ok, err := s.Take(context.Background(), []Check{chk}, out)
			if err != nil {
				failed.Add(1)
				return
			}
			if ok {
				admitted.Add(1)
			}
		}(stores[i%3])
	}
	close(start)
	wg.Wait()
	if failed.Load() != 0 || admitted.Load() != 5 {
		t.Fatalf("admitted %d with %d errors, want exactly 5 and none", admitted.Load(), failed.Load())
	}
	pttl := shared.PTTL(context.Background(), stores[0].key(chk)).Val()
	if pttl < 14*time.Minute || pttl > 15*time.Minute {
		t.Fatalf("PTTL %v after 5 admissions of 3m each, want just under 15m", pttl)
	}
}

// TestRedisAllOrNothing: when the second check denies, the first is not
// charged, whether it had state or not.
func TestRedisAllOrNothing(t *testing.T) {
	c := testsupport.SharedRedis(t)
	rs := NewRedisStore(c, RedisOptions{Prefix: testPrefix(t, c), Timeout: time.Second})
	ctx := context.Background()
	fresh := rlCheck("api", 1, time.Minute, 5)
	used := rlCheck("api", 2, time.Minute, 5)
	tight := rlCheck("signin", 3, time.Minute, 1)
	take(t, rs, used)
	take(t, rs, tight)
	before := tatMicros(t, c, rs.key(used))
	if before == 0 {
		t.Fatal("no TAT stored for an admitted request")
	}

	ok, out := take(t, rs, fresh, used, tight)
	if ok || !out[0].Allowed || !out[1].Allowed || out[2].Allowed {
		t.Fatalf("allowed=%v outcomes %+v: want denied by the third check only", ok, out)
	}
	if out[2].RetryAfter <= 0 || out[2].RetryAfter > time.Minute {
		t.Fatalf("retry after %v", out[2].RetryAfter)
	}
	if n := c.Exists(ctx, rs.key(fresh)).Val(); n != 0 {
		t.Fatal("a denied request charged the fresh key")
	}
	if after := tatMicros(t, c, rs.key(used)); after != before {
		t.Fatalf("a denied request moved the used key's TAT from %d to %d", before, after)
	}
}

// TestRedisRefundAndExpiry: Refund gives a request back (and deletes a key
// whose budget is full again); keys expire at their TAT.
func TestRedisRefundAndExpiry(t *testing.T) {
	c := testsupport.SharedRedis(t)
	rs := NewRedisStore(c, RedisOptions{Prefix: testPrefix(t, c), Timeout: time.Second})
	ctx := context.Background()
	chk := rlCheck("reset", 1, time.Minute, 2)
	key := rs.key(chk)

	expiresAtTAT := func(when string) {
		t.Helper()
		now := serverMicros(t, c)
		pttl := c.PTTL(ctx, key).Val()
		untilTAT := time.Duration(tatMicros(t, c, key)-now) * time.Microsecond
		// PX is rounded up to whole milliseconds and PTTL is read after the
		// server time was: allow 2ms above the TAT.
		if pttl <= 0 || pttl > untilTAT+2*time.Millisecond || pttl < untilTAT-time.Second {
			t.Fatalf("%s: PTTL %v, time until TAT %v: want the key to expire at its TAT", when, pttl, untilTAT)
		}
	}
	take(t, rs, chk)
	expiresAtTAT("after a take")

	if ok, out := take(t, rs, chk); !ok || out[0].Remaining != 0 {
		t.Fatalf("2nd: allowed=%v remaining=%d", ok, out[0].Remaining)
	}
	if ok, _ := take(t, rs, chk); ok {
		t.Fatal("3rd admitted past the burst")
	}
	if err := rs.Refund(ctx, []Check{chk}); err != nil {
		t.Fatal(err)
	}
	if ok, out := take(t, rs, chk); !ok || out[0].Remaining != 0 {
		t.Fatalf("after a refund: allowed=%v remaining=%d, want admitted", ok, out[0].Remaining)
	}
	if err := rs.Refund(ctx, []Check{chk}); err != nil {
		t.Fatal(err)
	}
	expiresAtTAT("after a refund")
	if err := rs.Refund(ctx, []Check{chk}); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, key).Val(); n != 0 {
		t.Fatalf("key still exists after refunding every request: TAT %d", tatMicros(t, c, key))
	}
	if err := rs.Refund(ctx, []Check{chk}); err != nil || c.Exists(ctx, key).Val() != 0 {
		t.Fatalf("refund of a missing key: %v, or it created the key", err)
	}

	short := rlCheck("short", 1, 100*time.Millisecond, 1)
	take(t, rs, short)
	if !waitFor(liveness, func() bool { return c.Exists(ctx, rs.key(short)).Val() == 0 }) {
		t.Fatal("an idle key did not expire")
	}
}

// TestRedisOneRoundTrip counts commands on a dedicated server: each Take of
// three checks is exactly one EVALSHA and nothing else.
func TestRedisOneRoundTrip(t *testing.T) {
	srv := testsupport.StartRedis(t)
	c := addrClient(t, srv.Addr())
	rs := NewRedisStore(c, RedisOptions{Timeout: time.Second})
	checks := []Check{rlCheck("ip", 1, time.Millisecond, 1000), rlCheck("email", 2, time.Millisecond, 1000), rlCheck("global", 3, time.Millisecond, 1000)}
	take(t, rs, checks...) // loads the script (NOSCRIPT, then EVAL)
	stats := addrClient(t, srv.Addr())
	before := commandCalls(t, stats)
	const n = 50
	for i := 0; i < n; i++ {
		checks[0].Key[15] = byte(i)
		if ok, _ := take(t, rs, checks...); !ok {
			t.Fatalf("take %d denied", i)
		}
	}
	after := commandCalls(t, stats)
	if d := after["evalsha"] - before["evalsha"]; d != n {
		t.Fatalf("%d EVALSHA for %d takes, want exactly one each", d, n)
	}
	// commandstats also counts the commands scripts run: one TIME per
	// script, then a GET and a SET per check. Everything else came from
	// clients: the EVALSHAs and the first INFO.
	var total int64
	for cmd, calls := range after {
		switch cmd {
		case "time", "get", "set", "del":
		default:
			total += calls - before[cmd]
		}
	}
	if total != n+1 || after["time"]-before["time"] != n || after["set"]-before["set"] != 3*n {
		t.Fatalf("%d client commands for %d takes: %v -> %v", total, n, before, after)
	}
}

// TestRedisScriptFlushFallback: after SCRIPT FLUSH (as after a failover to
// a fresh replica) Take still works, by EVAL.
func TestRedisScriptFlushFallback(t *testing.T) {
	srv := testsupport.StartRedis(t)
	c := addrClient(t, srv.Addr())
	rs := NewRedisStore(c, RedisOptions{Timeout: time.Second})
	chk := rlCheck("z", 1, time.Minute, 2)
	take(t, rs, chk)
	if err := c.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	before := commandCalls(t, c)["eval"]
	if ok, out := take(t, rs, chk); !ok || out[0].Remaining != 0 {
		t.Fatalf("after SCRIPT FLUSH: allowed=%v remaining=%d", ok, out[0].Remaining)
	}
	if got := commandCalls(t, c)["eval"] - before; got != 1 {
		t.Fatalf("%d EVAL after NOSCRIPT, want 1", got)
	}
}

// TestRedisStalledTimeout: against a server that accepts and never answers,
// every call returns an error within the timeout plus a margin, whether or
// not the client applies context deadlines itself.
func TestRedisStalledTimeout(t *testing.T) {
	addr := testsupport.StallListener(t)
	for _, ctxDeadlines := range []bool{true, false} {
		t.Run(fmt.Sprintf("ContextTimeoutEnabled=%v", ctxDeadlines), func(t *testing.T) {
			c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: ctxDeadlines, ReadTimeout: 2 * time.Second})
			defer c.Close()
			rs := NewRedisStore(c, RedisOptions{Timeout: 50 * time.Millisecond})
			chk := rlCheck("z", 1, time.Minute, 2)
			for i := 0; i < 4; i++ {
				t0 := time.Now()
				var err error
				switch i {
				case 0, 1:
					_, err = rs.Take(context.Background(), []Check{chk, chk}, make([]Outcome, 2))
				case 2:
					err = rs.Refund(context.Background(), []Check{chk})
				case 3:
					err = rs.Ping(context.Background())
				}
				if took := time.Since(t0); err == nil || took > 200*time.Millisecond {
					t.Fatalf("call %d: err=%v after %v, want an error within 200ms", i, err, took)
				}
			}
		})
	}
}

// TestRedisCluster runs the store on a three-master Redis Cluster: slots
// match the server's, a Take spanning three slots is one script per slot,
// a denial in one slot leaves the others uncharged, and Refund works across
// slots.
func TestRedisCluster(t *testing.T) {
	nodes := testsupport.StartRedisCluster(t, 3)
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0]}, ContextTimeoutEnabled: true})
	defer cc.Close()
	rs := NewRedisStore(cc, RedisOptions{Prefix: "ocomms:rltest:", Timeout: 2 * time.Second})

	// One check per master: slots 0–5460, 5461–10921, 10922–16383. The
	// last has a smaller burst.
	var checks []Check
	for id, want := uint64(0), 0; want < 3; id++ {
		chk := rlCheck("z", id, time.Minute, 3)
		if want == 2 {
			chk.Limit.Burst = 2
		}
		slot := int(redisslot.Of(rs.key(chk)))
		if slot/5461 != want {
			continue
		}
		server, err := addrClient(t, nodes[0]).ClusterKeySlot(ctx, rs.key(chk)).Result()
		if err != nil || int(server) != slot {
			t.Fatalf("slot of %s: ours %d, server %d (%v)", rs.key(chk), slot, server, err)
		}
		checks = append(checks, chk)
		want++
	}
	if n := len(rs.groups(checks)); n != 3 {
		t.Fatalf("%d groups for three slots", n)
	}
	scripts := func() [][2]int64 {
		calls := make([][2]int64, len(nodes))
		for i, n := range nodes {
			c := commandCalls(t, addrClient(t, n))
			calls[i] = [2]int64{c["evalsha"], c["eval"]}
		}
		return calls
	}
	// The first take meets empty script caches: EVALSHA, NOSCRIPT, EVAL on
	// each node; the second is one EVALSHA per node.
	for round, want := range [][2]int64{{1, 1}, {1, 0}} {
		before := scripts()
		ok, out := take(t, rs, checks...)
		if !ok || out[0].Remaining != int64(1-round)+1 || out[2].Remaining != int64(1-round) {
			t.Fatalf("take %d: allowed=%v %+v", round+1, ok, out)
		}
		for i, after := range scripts() {
			if got := [2]int64{after[0] - before[i][0], after[1] - before[i][1]}; got != want {
				t.Fatalf("take %d: node %d ran %d EVALSHA and %d EVAL, want %v", round+1, i, got[0], got[1], want)
			}
		}
	}
	for _, chk := range checks {
		if cc.Exists(ctx, rs.key(chk)).Val() != 1 {
			t.Fatal("an admitted check left no key")
		}
	}

	// The third slot's budget is spent: a request for all three is denied,
	// and the first two keep the TAT they had.
	tats := []int64{tatMicros(t, cc, rs.key(checks[0])), tatMicros(t, cc, rs.key(checks[1]))}
	ok, out := take(t, rs, checks...)
	if ok || !out[0].Allowed || !out[1].Allowed || out[2].Allowed {
		t.Fatalf("allowed=%v %+v: want denied by the third slot only", ok, out)
	}
	for i := range tats {
		if got := tatMicros(t, cc, rs.key(checks[i])); got != tats[i] {
			t.Fatalf("slot %d charged by a denied request: TAT %d -> %d", i, tats[i], got)
		}
	}

	// Two refunds give both requests back: the keys are gone.
	for i := 0; i < 2; i++ {
		if err := rs.Refund(ctx, checks); err != nil {
			t.Fatal(err)
		}
	}
	for _, chk := range checks {
		if cc.Exists(ctx, rs.key(chk)).Val() != 0 {
			t.Fatal("refunding every request left a key")
		}
	}
	if ok, out := take(t, rs, checks...); !ok || out[0].Remaining != 2 || out[2].Remaining != 1 {
		t.Fatalf("after refunds: allowed=%v %+v", ok, out)
	}
	if err := rs.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	for _, chk := range checks {
		cc.Del(ctx, rs.key(chk))
	}
}
