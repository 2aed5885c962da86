package lockout

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// testPrefix is a key prefix of this test alone; its keys are deleted at
// the end.
func testPrefix(t testing.TB, c *redis.Client) string {
	return testsupport.RedisTestPrefix(t, c, "lktest") + ":"
}

// storeKind makes a store of one kind on a clock.
type storeKind struct {
	name string
	make func(t testing.TB, clock *testsupport.Clock) LockStore
}

// storeKinds are the stores every behavioural test runs against.
var storeKinds = []storeKind{
	{"memory", func(t testing.TB, clock *testsupport.Clock) LockStore {
		return NewMemoryLockStore(MemoryLockStoreOptions{Clock: clock.Now})
	}},
	{"redis", func(t testing.TB, clock *testsupport.Clock) LockStore {
		c := testsupport.SharedRedis(t)
		return NewRedisLockStore(c, RedisLockStoreOptions{Prefix: testPrefix(t, c), Clock: clock.Now, Timeout: 5 * time.Second})
	}},
}

var testSecret = []byte("0123456789abcdef-test-secret")

// rig is an engine on a store and a fake clock.
type rig struct {
	t      testing.TB
	l      *Lockout
	clock  *testsupport.Clock
	events *testsupport.Events
	store  LockStore
}

func newRig(t testing.TB, kind storeKind, edit ...func(*LockoutOptions)) *rig {
	t.Helper()
	clock := testsupport.NewClock()
	store := kind.make(t, clock)
	ev := testsupport.NewEvents()
	o := LockoutOptions{Secret: testSecret, Store: store, Clock: clock.Now, Events: ev}
	for _, e := range edit {
		e(&o)
	}
	l, err := NewLockout(o)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, l: l, clock: clock, events: ev, store: store}
}

var (
	ipA = netip.MustParseAddr("192.0.2.10")
	ipB = netip.MustParseAddr("198.51.100.7")
)

// try runs one attempt; when admitted it settles it with out.
func (r *rig) try(a SignInAttempt, out AttemptOutcome) (Admission, Settlement) {
	r.t.Helper()
	ctx := context.Background()
	adm, err := r.l.Begin(ctx, a)
	if err != nil {
		r.t.Fatalf("Begin: %v", err)
	}
	if !adm.Admit {
		return adm, Settlement{}
	}
	st, err := r.l.Settle(ctx, a, adm, out)
	if err != nil {
		r.t.Fatalf("Settle: %v", err)
	}
	return adm, st
}

// mustAdmit and mustRefuse check one attempt's admission.
func (r *rig) mustAdmit(a SignInAttempt, out AttemptOutcome) (Admission, Settlement) {
	r.t.Helper()
	adm, st := r.try(a, out)
	if !adm.Admit {
		r.t.Fatalf("attempt refused (%s, retry after %v), want admitted", adm.Reason, adm.RetryAfter)
	}
	return adm, st
}

func (r *rig) mustRefuse(a SignInAttempt, reason string) Admission {
	r.t.Helper()
	adm, _ := r.try(a, OutcomeFailure)
	if adm.Admit {
		r.t.Fatalf("attempt admitted, want refused (%s)", reason)
	}
	if adm.Reason != reason {
		r.t.Fatalf("refused as %q (retry after %v), want %q", adm.Reason, adm.RetryAfter, reason)
	}
	return adm
}

// deviceCookie signs in successfully and returns the device cookie value.
func (r *rig) deviceCookie(email string, ip netip.Addr) string {
	r.t.Helper()
	_, st := r.mustAdmit(SignInAttempt{Email: email, IP: ip}, OutcomeSuccess)
	for _, c := range st.Cookies {
		if c.Name == DeviceCookieName {
			return c.Value
		}
	}
	r.t.Fatal("no device cookie on success")
	return ""
}

// forEachStore runs a behavioural test against every store.
func forEachStore(t *testing.T, test func(t *testing.T, kind storeKind)) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) { test(t, k) })
	}
}

// beginBurst starts n Begins of a at once, the i-th on engines[i%len],
// fails the test on any error and returns the admissions in order.
func beginBurst(t testing.TB, a SignInAttempt, n int, engines ...*Lockout) []Admission {
	t.Helper()
	adms := make([]Admission, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			adms[i], errs[i] = engines[i%len(engines)].Begin(context.Background(), a)
		}()
	}
	start.Done()
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Begin %d: %v", i, err)
		}
	}
	return adms
}
