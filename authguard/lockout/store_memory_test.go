package lockout

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

func TestMemoryLockStoreBoundedAndExpiring(t *testing.T) {
	clock := testsupport.NewClock()
	s := NewMemoryLockStore(MemoryLockStoreOptions{MaxEntries: 640, Clock: clock.Now})
	ctx := context.Background()
	set := func(key string, ttl time.Duration) {
		if err := s.Update(ctx, key, func(time.Time, []byte) ([]byte, time.Duration) { return []byte("v"), ttl }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(key string) []byte {
		var v []byte
		_ = s.Update(ctx, key, func(_ time.Time, cur []byte) ([]byte, time.Duration) { v = cur; return cur, 0 })
		return v
	}
	set("hard", 0)
	for i := 0; i < 10_000; i++ {
		set(fmt.Sprint("k", i), time.Hour)
	}
	if n := s.Len(); n > 640 {
		t.Fatalf("%d records held, bound 640", n)
	}
	if get("hard") == nil {
		// A record without expiry is evicted only when every sampled one
		// has none; with TTL records around it survives.
		t.Fatal("the record without expiry was evicted first")
	}
	set("short", time.Minute)
	clock.Advance(time.Minute)
	if get("short") != nil {
		t.Fatal("an expired record was returned")
	}
	n := 0
	if err := s.Scan(ctx, "k", func(string, []byte) error { n++; return nil }); err != nil || n == 0 || n > 640 {
		t.Fatalf("Scan: %d %v", n, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Update(cctx, "x", func(time.Time, []byte) ([]byte, time.Duration) { return []byte("v"), 0 }); err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
}

// A config reload builds a new engine over the store kept in the
// UsagePool: the lock, and the device cookies (same secret), survive.
func TestMemoryLockStoreKeepsLockAcrossReload(t *testing.T) {
	r := newRig(t, storeKinds[0])
	email := "reload@example.com"
	cookie := r.deviceCookie(email, ipA)
	r.lockAccount(email, ipB)
	reloaded, err := NewLockout(LockoutOptions{Secret: testSecret, Store: r.store, Clock: r.clock.Now, Locks: []time.Duration{20 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	adm, err := reloaded.Begin(ctx, SignInAttempt{Email: email, IP: ipB})
	if err != nil || adm.Admit || adm.Reason != ReasonLocked || adm.RetryAfter != 15*time.Minute {
		t.Fatalf("after reload: %+v %v, want the 15 min lock kept", adm, err)
	}
	adm, err = reloaded.Begin(ctx, SignInAttempt{Email: email, IP: ipB, DeviceCookie: cookie})
	if err != nil || !adm.Admit || !adm.Trusted {
		t.Fatalf("device after reload: %+v %v", adm, err)
	}
}
