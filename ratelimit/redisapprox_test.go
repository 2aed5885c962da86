package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// approxCheck is rlCheck in an approximate zone with the given credit.
func approxCheck(zone string, id uint64, interval time.Duration, burst, lease int64) Check {
	c := rlCheck(zone, id, interval, burst)
	c.Lease = lease
	return c
}

// TestRedisApproximateWithinCreditTouchesNoRedis counts commands on a
// dedicated server: admissions within the credit send nothing; one batch
// then carries every key in one script, and the stored TATs count every
// admission; past the credit a key is decided by the take script.
func TestRedisApproximateWithinCreditTouchesNoRedis(t *testing.T) {
	srv := testsupport.StartRedis(t)
	c := addrClient(t, srv.Addr())
	// A sync interval of an hour: the test sends the batch itself.
	rs := NewRedisStore(c, RedisOptions{Timeout: time.Second, SyncInterval: time.Hour})
	defer rs.Close()
	stats := addrClient(t, srv.Addr())
	for _, script := range []*redis.Script{chargeScript, takeScript} {
		if err := script.Load(context.Background(), stats).Err(); err != nil {
			t.Fatal(err)
		}
	}
	before := commandCalls(t, stats)
	const keys, lease = 20, 4
	interval := time.Second
	for k := uint64(0); k < keys; k++ {
		for i := 0; i < lease; i++ {
			if ok, out := take(t, rs, approxCheck("api", k, interval, 100, lease)); !ok || out[0].Remaining != int64(100-1-i) {
				t.Fatalf("key %d take %d: %v %+v", k, i, ok, out)
			}
		}
	}
	mid := commandCalls(t, stats)
	if d := mid["evalsha"] + mid["eval"] - before["evalsha"] - before["eval"]; d != 0 {
		t.Fatalf("%d scripts for admissions within the credit, want none", d)
	}
	start := serverMicros(t, stats)
	rs.flush(nil)
	after := commandCalls(t, stats)
	if d := after["evalsha"] + after["eval"] - mid["evalsha"] - mid["eval"]; d != 1 {
		t.Fatalf("%d scripts for one batch of %d keys, want 1", d, keys)
	}
	for k := uint64(0); k < keys; k++ {
		tat := tatMicros(t, c, rs.key(rlCheck("api", k, 0, 0)))
		ahead := time.Duration(tat-start) * time.Microsecond
		if ahead < lease*interval-time.Second/2 || ahead > lease*interval+time.Second/2 {
			t.Fatalf("key %d: TAT %v ahead of the server clock, want about %v", k, ahead, lease*interval)
		}
	}
	// The batch came back: the credit is free again, and the view counts
	// the admissions (remaining keeps falling).
	if ok, out := take(t, rs, approxCheck("api", 0, interval, 100, lease)); !ok || out[0].Remaining != 100-1-lease {
		t.Fatalf("after the batch: %v %+v", ok, out)
	}
	// Spend the credit of key 1 without a batch: the next take is exact.
	for i := 0; i < lease; i++ {
		take(t, rs, approxCheck("api", 1, interval, 100, lease))
	}
	pre := commandCalls(t, stats)
	// Redis has counted the first batch only: its remaining ignores the
	// credit this instance holds (an approximate zone's headers are).
	if ok, out := take(t, rs, approxCheck("api", 1, interval, 100, lease)); !ok || out[0].Remaining != 100-lease-1 {
		t.Fatalf("past the credit: %v %+v", ok, out)
	}
	post := commandCalls(t, stats)
	if d := post["evalsha"] + post["eval"] - pre["evalsha"] - pre["eval"]; d != 1 {
		t.Fatalf("%d scripts past the credit, want 1 (the exact take)", d)
	}
}

// TestRedisApproximateRefundAndUndo: a refund, or a request another zone
// refuses, withdraws an admission not yet sent; the batch carries only
// what stayed admitted.
func TestRedisApproximateRefundAndUndo(t *testing.T) {
	c := testsupport.SharedRedis(t)
	prefix := testPrefix(t, c)
	rs := NewRedisStore(c, RedisOptions{Prefix: prefix, Timeout: time.Second, SyncInterval: time.Hour})
	defer rs.Close()
	interval := time.Minute
	api := approxCheck("api", 1, interval, 100, 10)
	for i := 0; i < 3; i++ {
		take(t, rs, api)
	}
	if err := rs.Refund(context.Background(), []Check{api}); err != nil {
		t.Fatal(err)
	}
	// An exact zone that refuses: the approximate admission is withdrawn.
	strict := rlCheck("strict", 1, time.Hour, 1)
	if ok, _ := take(t, rs, strict); !ok {
		t.Fatal("first strict take refused")
	}
	if ok, out := take(t, rs, api, strict); ok || !out[0].Allowed || out[1].Allowed {
		t.Fatalf("strict zone should refuse alone: %v %+v", ok, out)
	}
	start := serverMicros(t, c)
	rs.flush(nil)
	tat := tatMicros(t, c, rs.key(api))
	if ahead := time.Duration(tat-start) * time.Microsecond; ahead < 2*interval-time.Second || ahead > 2*interval+time.Second {
		t.Fatalf("TAT %v ahead, want 2 admissions (3 taken, 1 refunded, 1 withdrawn) = %v", ahead, 2*interval)
	}
}

// TestRedisOvershootAcrossInstances is the multi-instance bound: three
// stores with their own clients (three edge instances) on one Redis send
// 1,000 concurrent requests per key at a limit of 100 (ten times the
// limit). The exact zone admits exactly 100; the approximate zone (credit
// 5) admits at least 100 and at most 100 + 3 × 5 (OvershootBound), and
// its stored state counts every admission.
func TestRedisOvershootAcrossInstances(t *testing.T) {
	shared := testsupport.SharedRedis(t)
	prefix := testPrefix(t, shared)
	const instances, lease, limit, perKey, keys = 3, 5, 100, 1000, 4
	stores := make([]*RedisStore, instances)
	for i := range stores {
		c := redis.NewClient(&redis.Options{Addr: testsupport.SharedRedisAddr, ContextTimeoutEnabled: true, PoolSize: 20})
		defer c.Close()
		stores[i] = NewRedisStore(c, RedisOptions{Prefix: prefix, Timeout: 10 * time.Second, SyncInterval: 2 * time.Millisecond})
	}
	// 100 per day with a burst of 100: nothing comes back during the test.
	interval := 24 * time.Hour / limit
	zone := Zone{Name: "approx", Rate: Rate{Count: limit, Period: 24 * time.Hour}, Key: byIP, Mode: ModeApproximate, Lease: lease}
	if err := zone.validate(); err != nil {
		t.Fatal(err)
	}
	bound := zone.OvershootBound(instances)
	if bound != instances*lease {
		t.Fatalf("bound %d, want %d", bound, instances*lease)
	}
	run := func(chk func(key uint64) Check) []int64 {
		admitted := make([]atomic.Int64, keys)
		var failed atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for k := uint64(0); k < keys; k++ {
			for i := 0; i < instances; i++ {
				wg.Add(1)
				go func(s *RedisStore, k uint64) {
					defer wg.Done()
					<-start
					out := make([]Outcome, 1)
					for j := 0; j < perKey/instances+1; j++ {
						ok, err := s.Take(context.Background(), []Check{chk(k)}, out)
						if err != nil {
							failed.Add(1)
							return
						}
						if ok {
							admitted[k].Add(1)
						}
					}
				}(stores[i], k)
			}
		}
		close(start)
		wg.Wait()
		if failed.Load() != 0 {
			t.Fatalf("%d errors", failed.Load())
		}
		res := make([]int64, keys)
		for k := range res {
			res[k] = admitted[k].Load()
		}
		return res
	}
	exact := run(func(k uint64) Check { return rlCheck("exact", k, interval, limit) })
	approx := run(func(k uint64) Check { return approxCheck("approx", k, interval, limit, lease) })
	t.Logf("admitted per key: exact %v, approximate %v (limit %d, bound +%d)", exact, approx, limit, bound)
	for k := range exact {
		if exact[k] != limit {
			t.Errorf("exact zone, key %d: admitted %d, want exactly %d", k, exact[k], limit)
		}
		if approx[k] < limit || approx[k] > limit+bound {
			t.Errorf("approximate zone, key %d: admitted %d, want %d to %d", k, approx[k], limit, limit+bound)
		}
	}
	// Every admission reaches Redis: after the last batches the stored
	// TAT is one interval per admission ahead.
	for _, s := range stores {
		s.Close()
	}
	now := serverMicros(t, shared)
	for k := range approx {
		tat := tatMicros(t, shared, stores[0].key(rlCheck("approx", uint64(k), 0, 0)))
		got := (tat - now + int64(interval/time.Microsecond)/2) / int64(interval/time.Microsecond)
		if got != approx[k] {
			t.Errorf("key %d: Redis counts %d admissions, the instances made %d", k, got, approx[k])
		}
	}
}

// TestRedisApproximateOutageFallsBack: when Redis dies, the failed batch
// is reported by the next decision, the breaker opens and the zone falls
// back to its policy (the local store), as an exact zone does.
func TestRedisApproximateOutageFallsBack(t *testing.T) {
	srv := testsupport.StartRedis(t)
	c := addrClient(t, srv.Addr())
	primary := NewRedisStore(c, RedisOptions{Timeout: 200 * time.Millisecond, SyncInterval: 5 * time.Millisecond})
	var opened atomic.Int64
	rs := NewResilientStore(primary, NewMemoryStore(0, nil), ResilientOptions{
		OnStateChange: func(open bool, err error) {
			if open {
				opened.Add(1)
			}
		},
	})
	defer rs.Close()
	out := make([]Outcome, 1)
	chk := approxCheck("api", 1, time.Millisecond, 1000, 10)
	if ok, src := rs.TakeWithSource(context.Background(), []Check{chk}, out); !ok || src != SourcePrimary {
		t.Fatalf("before the outage: %v %v", ok, src)
	}
	srv.Stop()
	// A refused connection opens the breaker at once, a timeout on the
	// fifth in a row (in between, each decision follows the policy).
	if !waitFor(liveness, func() bool {
		rs.TakeWithSource(context.Background(), []Check{chk}, out)
		return rs.Open()
	}) {
		t.Fatal("the breaker did not open after Redis died")
	}
	if ok, src := rs.TakeWithSource(context.Background(), []Check{chk}, out); !ok || src != SourceLocal {
		t.Fatalf("during the outage: %v %v, want admitted by the local store", ok, src)
	}
	if opened.Load() != 1 {
		t.Fatalf("breaker opened %d times, want 1", opened.Load())
	}
}

// BenchmarkRedisTakeApproximate is one decision of an approximate zone on
// a Redis store, one key per address as in the end-to-end benchmark: the
// local path (the batches go out every 50ms in the background), against
// the exact zone's script.
func BenchmarkRedisTakeApproximate(b *testing.B) {
	c := testsupport.SharedRedis(b)
	prefix := testPrefix(b, c)
	for _, mode := range []string{"approximate", "exact"} {
		b.Run(mode, func(b *testing.B) {
			rs := NewRedisStore(c, RedisOptions{Prefix: prefix + mode + ":", Timeout: time.Second})
			defer rs.Close()
			out := make([]Outcome, 1)
			checks := []Check{rlCheck("api", 0, 100*time.Millisecond, 200)}
			if mode == "approximate" {
				checks[0].Lease = 10
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				checks[0].Key[0], checks[0].Key[1], checks[0].Key[2] = byte(i), byte(i>>8), byte(i>>16)
				if ok, err := rs.Take(context.Background(), checks, out); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// TestApproximateLocalDecisionAllocatesNothing: a decision within the
// credit of a key already seen costs no allocation.
func TestApproximateLocalDecisionAllocatesNothing(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: deadAddr(t)})
	defer c.Close()
	rs := NewRedisStore(c, RedisOptions{SyncInterval: time.Hour})
	defer rs.Close()
	checks := []Check{approxCheck("api", 1, time.Nanosecond, 1<<40, 1<<40)}
	out := make([]Outcome, 1)
	if ok, err := rs.Take(context.Background(), checks, out); err != nil || !ok {
		t.Fatal(ok, err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if ok, err := rs.Take(context.Background(), checks, out); err != nil || !ok {
			t.Fatal(ok, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per local decision, want 0", allocs)
	}
}
