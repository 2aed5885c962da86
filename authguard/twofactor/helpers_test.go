package twofactor_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/twofactor"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// clock is the settable clock shared by a store and the test.
type clock = testsupport.Clock

func newClock() *clock { return testsupport.NewClock() }

// storeKind makes a store on a clock: the lockout's memory store, and the
// lockout's Redis store on the shared Redis (skipped, or failed with
// OCOMMS_REQUIRE_SERVICES=1, when it is not there).
type storeKind struct {
	name string
	make func(t testing.TB, c *clock) twofactor.Store
}

var storeKinds = []storeKind{
	{"memory", func(t testing.TB, c *clock) twofactor.Store {
		return twofactor.FromLockStore(lockout.NewMemoryLockStore(lockout.MemoryLockStoreOptions{Clock: c.Now}))
	}},
	{"redis", func(t testing.TB, c *clock) twofactor.Store {
		client := testsupport.SharedRedis(t)
		prefix := testsupport.RedisTestPrefix(t, client, "tftest") + ":"
		return twofactor.FromLockStore(lockout.NewRedisLockStore(client, lockout.RedisLockStoreOptions{Prefix: prefix, Clock: c.Now, Timeout: 2 * time.Second}))
	}},
}

func forEachStore(t *testing.T, fn func(t *testing.T, c *clock, s twofactor.Store)) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			c := newClock()
			fn(t, c, k.make(t, c))
		})
	}
}

var secret = []byte("0123456789abcdef0123456789abcdef")

func newLimiter(t testing.TB, s twofactor.Store, mod func(*twofactor.Options)) *twofactor.Limiter {
	t.Helper()
	o := twofactor.Options{Secret: secret, Store: s}
	if mod != nil {
		mod(&o)
	}
	l, err := twofactor.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const acctA = "00112233445566778899aabbccddeeff"
const acctB = "ffeeddccbbaa99887766554433221100"

var ctx = context.Background()

var ip1 = netip.MustParseAddr("203.0.113.7")

// pending records a pending sign-in for acct and returns its subject.
func pending(t testing.TB, l *twofactor.Limiter, cookie, acct string) twofactor.Subject {
	t.Helper()
	if err := l.RecordPending(ctx, cookie, acct, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	return twofactor.Subject{Pending: cookie, IP: ip1}
}

// beginCode begins a code attempt on a fresh pending sign-in of acctA
// under cookie; an error fails the test.
func beginCode(t testing.TB, l *twofactor.Limiter, cookie string) twofactor.Admission {
	t.Helper()
	adm, err := l.Begin(ctx, pending(t, l, cookie, acctA), twofactor.KindCode)
	if err != nil {
		t.Fatal(err)
	}
	return adm
}

// try begins and settles one attempt; it returns the admission and what
// the settle did (zero when refused).
func try(t testing.TB, l *twofactor.Limiter, s twofactor.Subject, k twofactor.Kind, out twofactor.Outcome) (twofactor.Admission, twofactor.Settlement) {
	t.Helper()
	adm, err := l.Begin(ctx, s, k)
	if err != nil {
		t.Fatal(err)
	}
	if !adm.Admit {
		return adm, twofactor.Settlement{}
	}
	st, err := l.Settle(ctx, adm, out)
	if err != nil {
		t.Fatal(err)
	}
	return adm, st
}
