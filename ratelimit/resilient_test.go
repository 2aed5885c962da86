package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// stateEvents records OnStateChange calls.
type stateEvents struct {
	mu     sync.Mutex
	events []stateEvent
}

type stateEvent struct {
	open bool
	err  error
}

func (e *stateEvents) record(open bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, stateEvent{open, err})
}

func (e *stateEvents) get() []stateEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]stateEvent(nil), e.events...)
}

// zonePolicy maps the test zones to their policies.
func zonePolicy(zone string) ErrorPolicy {
	switch zone {
	case "alw":
		return ErrorAllow
	case "dny":
		return ErrorDeny
	}
	return ErrorLocal
}

// liveness is how long a test waits for something that must happen before
// it fails as hung: generous, so a loaded machine never fails a test that
// is about outcomes, not speed.
const liveness = 30 * time.Second

// newResilient returns a started ResilientStore over a RedisStore at addr,
// closed at the end of the test.
func newResilient(t testing.TB, addr string, timeout time.Duration, opts ResilientOptions) (*ResilientStore, *MemoryStore, *stateEvents) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	ev := &stateEvents{}
	if opts.Policy == nil {
		opts.Policy = zonePolicy
	}
	opts.OnStateChange = ev.record
	local := NewMemoryStore(0, nil)
	s := NewResilientStore(NewRedisStore(c, RedisOptions{Prefix: "ocomms:rltest:", Timeout: timeout}), local, opts)
	s.Start()
	t.Cleanup(func() { closeWithin(t, s, liveness) })
	return s, local, ev
}

// closeWithin closes s, failing the test if Close blocks longer than d.
func closeWithin(t testing.TB, s *ResilientStore, d time.Duration) {
	t.Helper()
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(d):
		t.Errorf("Close did not return within %v", d)
	}
}

// resTake decides through the Store interface, failing on an error, and
// through TakeWithSource for the source: two decisions.
func resTake(t *testing.T, s *ResilientStore, checks ...Check) (bool, Source, []Outcome) {
	t.Helper()
	out := make([]Outcome, len(checks))
	ok, src := s.TakeWithSource(context.Background(), checks, out)
	return ok, src, out
}

// TestResilientPolicies: with the primary down, each zone follows its
// policy, Take never returns an error, and the breaker opens once.
func TestResilientPolicies(t *testing.T) {
	s, local, ev := newResilient(t, deadAddr(t), 50*time.Millisecond, ResilientOptions{})
	loc := rlCheck("loc", 1, time.Hour, 2)
	alw := rlCheck("alw", 1, time.Hour, 5)
	dny := rlCheck("dny", 1, time.Hour, 5)

	var wg sync.WaitGroup
	var errs atomic.Int64
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i uint64) {
			defer wg.Done()
			chk := rlCheck("loc", 1000+i, time.Hour, 2)
			if _, err := s.Take(context.Background(), []Check{chk}, make([]Outcome, 1)); err != nil {
				errs.Add(1)
			}
		}(uint64(i))
	}
	wg.Wait()
	if errs.Load() != 0 {
		t.Fatalf("%d Takes returned an error", errs.Load())
	}
	if evs := ev.get(); len(evs) != 1 || !evs[0].open || evs[0].err == nil || !s.Open() {
		t.Fatalf("state changes %+v, open=%v: want one open with its error", evs, s.Open())
	}

	for i, want := range []bool{true, true, false} {
		ok, src, out := resTake(t, s, loc)
		if ok != want || src != SourceLocal || out[0].Allowed != want {
			t.Fatalf("local %d: allowed=%v source=%v, want %v from the local store", i, ok, src, want)
		}
	}
	n := local.Len()
	for i := 0; i < 10; i++ {
		ok, src, out := resTake(t, s, alw)
		if !ok || src != SourceAllowed || out[0].Remaining != 4 || out[0].ResetAfter != time.Hour {
			t.Fatalf("allow: allowed=%v source=%v %+v", ok, src, out[0])
		}
		ok, src, out = resTake(t, s, dny)
		if ok || src != SourceDenied || out[0].RetryAfter != fallbackRetryAfter {
			t.Fatalf("deny: allowed=%v source=%v %+v", ok, src, out[0])
		}
	}
	if local.Len() != n {
		t.Fatal("allow or deny zones used the local store")
	}

	// Mixed: a deny zone refuses the request and the local zone is not
	// charged; an allow zone with a local one follows the local one.
	fresh := rlCheck("loc", 2, time.Hour, 1)
	if ok, src, out := resTake(t, s, fresh, dny); ok || src != SourceDenied || !out[0].Allowed {
		t.Fatalf("local+deny: allowed=%v source=%v %+v", ok, src, out)
	}
	if ok, src, _ := resTake(t, s, fresh, alw); !ok || src != SourceLocal {
		t.Fatalf("local+allow after a denied local+deny: allowed=%v source=%v, want the local budget untouched", ok, src)
	}
	if ok, src, _ := resTake(t, s, fresh, alw); ok || src != SourceLocal {
		t.Fatalf("local+allow past the local burst: allowed=%v source=%v", ok, src)
	}
	if evs := ev.get(); len(evs) != 1 {
		t.Fatalf("state changes %+v, want only the first open", evs)
	}
}

// TestResilientLocalDivisor: the local fallback enforces limit/N.
func TestResilientLocalDivisor(t *testing.T) {
	s, _, _ := newResilient(t, deadAddr(t), 50*time.Millisecond, ResilientOptions{LocalDivisor: 3})
	chk := rlCheck("loc", 1, time.Minute, 7) // local: burst 3, interval 3m
	var admitted int
	var last Outcome
	for i := 0; i < 10; i++ {
		ok, _, out := resTake(t, s, chk)
		if ok {
			admitted++
		} else {
			last = out[0]
		}
	}
	if admitted != 3 || last.RetryAfter <= 2*time.Minute {
		t.Fatalf("admitted %d (retry %v), want ceil(7/3) = 3 with 3m intervals", admitted, last.RetryAfter)
	}
}

// TestResilientKillAndRestart kills the primary's redis-server under load,
// then restarts it: no Take errors, fallbacks by policy, one state change
// each way, and Redis use resumes after the restart. It asserts outcomes,
// not speed: the waits below are generous liveness deadlines (a hang fails
// the test), and how fast the breaker reacts is measured by benchmarks.
func TestResilientKillAndRestart(t *testing.T) {
	srv := testsupport.StartRedis(t)
	s, _, ev := newResilient(t, srv.Addr(), 50*time.Millisecond, ResilientOptions{})
	zones := []string{"loc", "alw", "dny"}

	var counts [3]struct{ primary, fallback, wrong atomic.Int64 }
	var errs atomic.Int64
	var maxLatency atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			z := g % 3
			for i := uint64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				chk := rlCheck(zones[z], uint64(g)<<32|i, time.Millisecond, 1000)
				out := make([]Outcome, 1)
				t0 := time.Now()
				var ok bool
				src := SourcePrimary
				if i%2 == 0 {
					var err error
					if ok, err = s.Take(context.Background(), []Check{chk}, out); err != nil {
						errs.Add(1)
					}
				} else {
					ok, src = s.TakeWithSource(context.Background(), []Check{chk}, out)
				}
				if took := time.Since(t0); int64(took) > maxLatency.Load() {
					maxLatency.Store(int64(took))
				}
				if i%2 == 0 {
					continue
				}
				c := &counts[z]
				switch {
				case src == SourcePrimary:
					c.primary.Add(1)
					if !ok {
						c.wrong.Add(1)
					}
				case z == 0 && src == SourceLocal && ok,
					z == 1 && src == SourceAllowed && ok,
					z == 2 && src == SourceDenied && !ok:
					c.fallback.Add(1)
				default:
					c.wrong.Add(1)
				}
				time.Sleep(time.Millisecond)
			}
		}(g)
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()

	if !waitFor(liveness, func() bool {
		return counts[0].primary.Load() > 20 && counts[1].primary.Load() > 20 && counts[2].primary.Load() > 20
	}) {
		t.Fatal("no load reached Redis")
	}
	srv.Stop()
	if !waitFor(liveness, s.Open) {
		t.Fatal("the breaker did not open after Redis was killed")
	}
	if !waitFor(liveness, func() bool {
		return counts[0].fallback.Load() > 50 && counts[1].fallback.Load() > 50 && counts[2].fallback.Load() > 50
	}) {
		t.Fatal("too few fallback decisions")
	}
	if evs := ev.get(); len(evs) != 1 || !evs[0].open || evs[0].err == nil {
		t.Fatalf("state changes while down: %+v, want exactly one open", evs)
	}

	// The local store decides exactly while Redis is down.
	exact := rlCheck("loc", 1<<62, time.Hour, 3)
	for i, want := range []bool{true, true, true, false} {
		if ok, src, _ := resTake(t, s, exact); ok != want || src != SourceLocal {
			t.Fatalf("local request %d: allowed=%v source=%v", i+1, ok, src)
		}
	}

	srv.Start()
	restarted := time.Now()
	if !waitFor(liveness, func() bool { return !s.Open() }) {
		t.Fatal("the breaker did not close after Redis's return")
	}
	t.Logf("breaker closed %v after Redis returned", time.Since(restarted).Round(time.Millisecond))
	before := counts[0].primary.Load() + counts[1].primary.Load() + counts[2].primary.Load()
	if !waitFor(liveness, func() bool {
		return counts[0].primary.Load()+counts[1].primary.Load()+counts[2].primary.Load() > before+30
	}) {
		t.Fatal("the load did not reach Redis again")
	}
	fresh := rlCheck("loc", 1<<61, time.Hour, 3)
	if ok, src, _ := resTake(t, s, fresh); !ok || src != SourcePrimary {
		t.Fatalf("after recovery: allowed=%v source=%v", ok, src)
	}
	// The restarted server is empty and new: the long-lived fresh key and
	// its own count of script runs show the decisions reached it. (Its key
	// count does not: the load's keys live about a millisecond.)
	c := addrClient(t, srv.Addr())
	if c.Exists(context.Background(), "ocomms:rltest:{loc:"+fresh.Key.String()+"}").Val() != 1 {
		t.Fatal("the decision after recovery left no key in the restarted Redis")
	}
	if calls := commandCalls(t, c); calls["evalsha"]+calls["eval"] < 30 {
		t.Fatalf("the restarted Redis ran %d take scripts (%v), want the 30 decisions seen after recovery", calls["evalsha"]+calls["eval"], calls)
	}

	close(stop)
	wg.Wait()
	if errs.Load() != 0 {
		t.Fatalf("%d Take errors", errs.Load())
	}
	for z := range counts {
		if c := &counts[z]; c.wrong.Load() != 0 {
			t.Fatalf("zone %s: %d decisions not by its policy", zones[z], c.wrong.Load())
		}
	}
	evs := ev.get()
	if len(evs) != 2 || !evs[0].open || evs[1].open || evs[1].err != nil {
		t.Fatalf("state changes %+v, want open then closed", evs)
	}
	t.Logf("slowest decision %v", time.Duration(maxLatency.Load()).Round(time.Microsecond))
}

// TestResilientStalled: a primary that accepts and never answers costs no
// decision an error: every one ends (its deadline, not the stalled server,
// decides when) and the breaker opens once, on a deadline. How long a
// stalled decision waits is the configured timeout, measured by
// BenchmarkResilientStalled, not asserted here.
func TestResilientStalled(t *testing.T) {
	s, _, ev := newResilient(t, testsupport.StallListener(t), 50*time.Millisecond, ResilientOptions{})
	var wg sync.WaitGroup
	var bad atomic.Int64
	done := make(chan struct{})
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i uint64) {
			defer wg.Done()
			for j := uint64(0); j < 5; j++ {
				ok, src := s.TakeWithSource(context.Background(), []Check{rlCheck("loc", i<<8|j, time.Minute, 5)}, make([]Outcome, 1))
				if !ok || src == SourcePrimary {
					bad.Add(1)
				}
			}
		}(uint64(i))
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(liveness):
		t.Fatal("decisions against a stalled Redis never ended")
	}
	if bad.Load() != 0 {
		t.Fatalf("%d decisions were refused or claimed the stalled primary decided them", bad.Load())
	}
	if evs := ev.get(); len(evs) != 1 || !evs[0].open || !errors.Is(evs[0].err, context.DeadlineExceeded) {
		t.Fatalf("state changes %+v, want one open on a deadline", evs)
	}
}

// BenchmarkResilientStalled measures what one decision costs while the
// primary accepts and never answers (the 50ms timeout and the breaker's
// fallback): the figure the stalled test leaves to benchmarks.
func BenchmarkResilientStalled(b *testing.B) {
	s, _, _ := newResilient(b, testsupport.StallListener(b), 50*time.Millisecond, ResilientOptions{})
	out := make([]Outcome, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.TakeWithSource(context.Background(), []Check{rlCheck("loc", uint64(i), time.Minute, 5)}, out)
	}
}

// TestResilientRefundGoesToCharger: a refund reaches the store that charged
// the request, across a breaker change. The primary is frozen (SIGSTOP) to
// open the breaker with its data intact.
func TestResilientRefundGoesToCharger(t *testing.T) {
	srv := testsupport.StartRedis(t)
	c := addrClient(t, srv.Addr())
	s, local, ev := newResilient(t, srv.Addr(), 50*time.Millisecond, ResilientOptions{})
	ctx := context.Background()
	chk := rlCheck("loc", 1, time.Hour, 5)
	key := "ocomms:rltest:{loc:" + chk.Key.String() + "}"

	if _, src, _ := resTake(t, s, chk); src != SourcePrimary {
		t.Fatalf("source %v, want primary", src)
	}
	srv.Signal(syscall.SIGSTOP)
	stopped := true
	defer func() {
		if stopped {
			srv.Signal(syscall.SIGCONT)
		}
	}()
	// Timeouts open the breaker only when several come in a row.
	for i := 0; i < slowCallsToOpen && !s.Open(); i++ {
		resTake(t, s, rlCheck("trip", uint64(100+i), time.Hour, 5))
	}
	if !s.Open() {
		t.Fatalf("%d timeouts in a row did not open the breaker", slowCallsToOpen)
	}
	_, src, out := resTake(t, s, chk)
	if src != SourceLocal || out[0].Remaining != 4 {
		t.Fatalf("with Redis frozen: source %v remaining %d, want a fresh local charge", src, out[0].Remaining)
	}
	if err := s.RefundFrom(ctx, []Check{chk}, SourcePrimary); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("primary refund with the breaker open: %v", err)
	}
	srv.Signal(syscall.SIGCONT)
	stopped = false
	if !waitFor(liveness, func() bool { return !s.Open() }) {
		t.Fatal("the breaker did not close")
	}
	tat := tatMicros(t, c, key)

	localKeys := local.Len()
	if err := s.RefundFrom(ctx, []Check{chk}, SourceLocal); err != nil {
		t.Fatal(err)
	}
	if local.Len() != localKeys-1 {
		t.Fatal("the local refund did not reach the local store")
	}
	if got := tatMicros(t, c, key); got != tat {
		t.Fatalf("a local refund moved the Redis TAT from %d to %d", tat, got)
	}
	if err := s.RefundFrom(ctx, []Check{chk}, SourcePrimary); err != nil {
		t.Fatal(err)
	}
	if got := tatMicros(t, c, key); got != tat-time.Hour.Microseconds() && got != 0 {
		t.Fatalf("a primary refund moved the Redis TAT from %d to %d, want one hour back", tat, got)
	}
	for _, src := range []Source{SourceAllowed, SourceDenied} {
		if err := s.RefundFrom(ctx, []Check{chk}, src); err != nil {
			t.Fatal(err)
		}
	}
	if evs := ev.get(); len(evs) != 2 {
		t.Fatalf("state changes %+v, want open then closed", evs)
	}
	c.Del(ctx, key)
}

// TestResilientCallerCancelDoesNotTrip: a request whose own context ended
// gets a fallback decision but does not open the breaker.
func TestResilientCallerCancelDoesNotTrip(t *testing.T) {
	shared := testsupport.SharedRedis(t)
	s, _, ev := newResilient(t, testsupport.SharedRedisAddr, 50*time.Millisecond, ResilientOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	chk := rlCheck("loc", 1, time.Minute, 5)
	ok, err := s.Take(ctx, []Check{chk}, make([]Outcome, 1))
	if err != nil || !ok {
		t.Fatalf("allowed=%v err=%v", ok, err)
	}
	if s.Open() || len(ev.get()) != 0 {
		t.Fatal("a canceled request opened the breaker")
	}
	ok, src, _ := resTake(t, s, chk)
	if !ok || src != SourcePrimary {
		t.Fatalf("allowed=%v source=%v, want primary", ok, src)
	}
	shared.Del(context.Background(), "ocomms:rltest:{loc:"+chk.Key.String()+"}")
}

// TestResilientCloseStopsProber: Close ends the prober goroutine, is
// idempotent, and a store never started closes at once.
func TestResilientCloseStopsProber(t *testing.T) {
	const prober = "ratelimit.(*ResilientStore).probe"
	c := redis.NewClient(&redis.Options{Addr: deadAddr(t), ContextTimeoutEnabled: true})
	defer c.Close()
	s := NewResilientStore(NewRedisStore(c, RedisOptions{}), NewMemoryStore(0, nil), ResilientOptions{ProbeInterval: 10 * time.Millisecond})
	s.Start()
	s.Start()
	for i := 0; i < slowCallsToOpen && !s.Open(); i++ {
		s.Take(context.Background(), []Check{rlCheck("z", 1, time.Minute, 1)}, make([]Outcome, 1))
	}
	if !s.Open() || !goroutinesRunning(prober) {
		t.Fatal("the breaker is not open with its prober running")
	}
	time.Sleep(50 * time.Millisecond) // a few failing probes
	closeWithin(t, s, liveness)
	closeWithin(t, s, liveness)
	if !waitFor(liveness, func() bool { return !goroutinesRunning(prober) }) {
		t.Fatal("the prober survived Close")
	}

	idle := NewResilientStore(NewRedisStore(c, RedisOptions{}), NewMemoryStore(0, nil), ResilientOptions{})
	closeWithin(t, idle, liveness)
	idle.Start()
	if goroutinesRunning(prober) {
		t.Fatal("Start after Close ran a prober")
	}
}
