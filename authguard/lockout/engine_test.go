package lockout

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// lockAccount spends the free failures of email from ip.
func (r *rig) lockAccount(email string, ip netip.Addr) {
	r.t.Helper()
	for i := 0; i < DefaultFreeFailures; i++ {
		r.mustAdmit(SignInAttempt{Email: email, IP: ip}, OutcomeFailure)
	}
}

func TestLockoutSchedule(t *testing.T) { forEachStore(t, testLockoutSchedule) }

func testLockoutSchedule(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	a := SignInAttempt{Email: "victim@example.com", IP: ipA}
	for i := 1; i <= 4; i++ {
		_, st := r.mustAdmit(a, OutcomeFailure)
		if st.Locked || st.Failures != i {
			t.Fatalf("failure %d: %+v", i, st)
		}
	}
	_, st := r.mustAdmit(a, OutcomeFailure)
	if !st.Locked || st.Failures != 5 || !st.LockedTill.Equal(r.clock.Now().Add(15*time.Minute)) {
		t.Fatalf("5th failure: %+v, want a 15 min lock", st)
	}
	if adm := r.mustRefuse(a, ReasonLocked); adm.RetryAfter != 15*time.Minute {
		t.Fatalf("retry after %v, want 15m", adm.RetryAfter)
	}
	// Another IP, the same email in another case: the same account.
	r.mustRefuse(SignInAttempt{Email: "VICTIM@Example.COM", IP: ipB}, ReasonLocked)
	// The untrimmed email is another string, so another account.
	r.mustAdmit(SignInAttempt{Email: " victim@example.com", IP: ipB}, OutcomeNotCounted)

	for i, want := range []time.Duration{15 * time.Minute, 30 * time.Minute, 60 * time.Minute, 60 * time.Minute, 60 * time.Minute} {
		r.clock.Advance(want - time.Second)
		r.mustRefuse(a, ReasonLocked)
		r.clock.Advance(time.Second)
		// One attempt at a time after a lock.
		adm, err := r.l.Begin(context.Background(), a)
		if err != nil || !adm.Admit {
			t.Fatalf("probe %d after %v: %+v %v", i, want, adm, err)
		}
		r.mustRefuse(a, ReasonThrottled)
		st, err := r.l.Settle(context.Background(), a, adm, OutcomeFailure)
		if err != nil {
			t.Fatal(err)
		}
		next := 60 * time.Minute
		if i == 0 {
			next = 30 * time.Minute
		}
		if !st.Locked || st.Failures != 6+i || !st.LockedTill.Equal(r.clock.Now().Add(next)) {
			t.Fatalf("probe %d failure: %+v, want locked for %v", i, st, next)
		}
	}
	if n := r.events.Count(secevent.ActionAccountLocked, ReasonLocked); n != 6 {
		t.Errorf("%d account_locked events, want 6", n)
	}
	if n := r.events.Count(secevent.ActionAccountUnlocked, "expiry"); n != 5 {
		t.Errorf("%d expiry unlock events, want 5", n)
	}
	// A success after a lock clears the account.
	r.clock.Advance(time.Hour)
	if _, st := r.mustAdmit(a, OutcomeSuccess); !st.Cleared || st.Failures != 0 {
		t.Fatalf("success: %+v", st)
	}
	for i := 0; i < 5; i++ {
		r.mustAdmit(a, OutcomeFailure)
	}
	r.mustRefuse(a, ReasonLocked)
}

func TestLockoutIdleReset(t *testing.T) { forEachStore(t, testLockoutIdleReset) }

func testLockoutIdleReset(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	a := SignInAttempt{Email: "idle@example.com", IP: ipA}
	for i := 0; i < 4; i++ {
		r.mustAdmit(a, OutcomeFailure)
	}
	r.clock.Advance(DefaultResetAfter)
	_, st := r.mustAdmit(a, OutcomeFailure)
	if st.Failures != 1 || st.Locked {
		t.Fatalf("after a quiet day: %+v, want the count restarted", st)
	}
}

func TestLockoutHardCap(t *testing.T) { forEachStore(t, testLockoutHardCap) }

func testLockoutHardCap(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	a := SignInAttempt{Email: "hard@example.com", IP: ipA}
	r.lockAccount(a.Email, a.IP)
	for n := 6; n <= DefaultHardLimit; n++ {
		r.clock.Advance(time.Hour)
		_, st := r.mustAdmit(a, OutcomeFailure)
		if n < DefaultHardLimit && (st.LockedTill.IsZero() || st.Failures != n) {
			t.Fatalf("failure %d: %+v", n, st)
		}
		if n == DefaultHardLimit && (!st.Locked || !st.LockedTill.IsZero()) {
			t.Fatalf("failure %d: %+v, want a hard lock", n, st)
		}
	}
	r.mustRefuse(a, ReasonHardLocked)
	r.clock.Advance(30 * 24 * time.Hour)
	r.mustRefuse(a, ReasonHardLocked)
	if r.events.Count(secevent.ActionAccountLocked, ReasonHardLocked) != 1 {
		t.Error("no hard_locked event")
	}
	list, err := r.l.List(context.Background())
	if err != nil || len(list) != 1 || !list[0].HardLocked || list[0].Failures != DefaultHardLimit {
		t.Fatalf("List: %+v %v", list, err)
	}
	// A recovery cookie opens a hard lock.
	rc, err := r.l.GrantRecovery(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ra := a
	ra.RecoveryCookie = rc.Value
	adm, st := r.mustAdmit(ra, OutcomeSuccess)
	if !adm.Recovery || !st.Cleared {
		t.Fatalf("recovery: %+v %+v", adm, st)
	}
	r.mustAdmit(a, OutcomeFailure)
}

func TestLockoutSpray(t *testing.T) { forEachStore(t, testLockoutSpray) }

func testLockoutSpray(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	v6 := netip.MustParseAddr("2001:db8:1:2::1")
	for i := 0; i < DefaultSprayAccounts; i++ {
		// Every address of the /64 is one IP for spray control.
		ip := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, byte(i + 1)})
		r.mustAdmit(SignInAttempt{Email: "user" + string(rune('a'+i)) + "@example.com", IP: ip}, OutcomeFailure)
	}
	adm := r.mustRefuse(SignInAttempt{Email: "user21@example.com", IP: v6}, ReasonSpray)
	if adm.RetryAfter != DefaultSprayWindow {
		t.Fatalf("spray retry after %v", adm.RetryAfter)
	}
	// For the rest of the window, even accounts it tried already.
	r.mustRefuse(SignInAttempt{Email: "usera@example.com", IP: v6}, ReasonSpray)
	// Another /64, and IPv4: not affected.
	r.mustAdmit(SignInAttempt{Email: "user21@example.com", IP: netip.MustParseAddr("2001:db8:1:3::1")}, OutcomeNotCounted)
	r.mustAdmit(SignInAttempt{Email: "user21@example.com", IP: ipA}, OutcomeNotCounted)
	// A trusted device is not subject to spray control.
	cookie := r.deviceCookie("usera@example.com", ipA)
	r.mustAdmit(SignInAttempt{Email: "usera@example.com", IP: v6, DeviceCookie: cookie}, OutcomeNotCounted)
	r.clock.Advance(DefaultSprayWindow)
	r.mustAdmit(SignInAttempt{Email: "user21@example.com", IP: v6}, OutcomeNotCounted)

	// IPv4-mapped IPv6 is the IPv4 address.
	r2 := newRig(t, kind)
	for i := 0; i < DefaultSprayAccounts; i++ {
		r2.mustAdmit(SignInAttempt{Email: "x" + string(rune('a'+i)) + "@example.com", IP: ipB}, OutcomeFailure)
	}
	r2.mustRefuse(SignInAttempt{Email: "y@example.com", IP: netip.MustParseAddr("::ffff:198.51.100.7")}, ReasonSpray)
}

func TestLockoutConcurrentBurst(t *testing.T) { forEachStore(t, testLockoutConcurrentBurst) }

func testLockoutConcurrentBurst(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	a := SignInAttempt{Email: "burst@example.com", IP: ipA}
	const n = 50
	adms := beginBurst(t, a, n, r.l)
	admitted := 0
	for _, adm := range adms {
		if adm.Admit {
			admitted++
		} else if adm.Reason != ReasonThrottled {
			t.Fatalf("refused as %q, want throttled", adm.Reason)
		}
	}
	if admitted != DefaultFreeFailures {
		t.Fatalf("%d of %d concurrent attempts admitted, want %d", admitted, n, DefaultFreeFailures)
	}
	for _, adm := range adms {
		if adm.Admit {
			if _, err := r.l.Settle(context.Background(), a, adm, OutcomeFailure); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.mustRefuse(a, ReasonLocked)
}

func TestLockoutReservations(t *testing.T) { forEachStore(t, testLockoutReservations) }

func testLockoutReservations(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	ctx := context.Background()
	a := SignInAttempt{Email: "inflight@example.com", IP: ipA}
	var held []Admission
	for i := 0; i < 5; i++ {
		adm, err := r.l.Begin(ctx, a)
		if err != nil || !adm.Admit {
			t.Fatalf("Begin %d: %+v %v", i, adm, err)
		}
		held = append(held, adm)
	}
	r.mustRefuse(a, ReasonThrottled)
	// Not counted releases the slot.
	if _, err := r.l.Settle(ctx, a, held[0], OutcomeNotCounted); err != nil {
		t.Fatal(err)
	}
	if _, err := r.l.Settle(ctx, a, held[0], OutcomeFailure); err == nil {
		t.Fatal("a second Settle of one admission was accepted")
	}
	adm, err := r.l.Begin(ctx, a)
	if err != nil || !adm.Admit {
		t.Fatalf("after a release: %+v %v", adm, err)
	}
	r.mustRefuse(a, ReasonThrottled)
	// Never settled: the slots expire.
	r.clock.Advance(DefaultReservationTTL)
	r.mustAdmit(a, OutcomeNotCounted)
	// A late settle of an expired reservation still counts its failure.
	st, err := r.l.Settle(ctx, a, held[1], OutcomeFailure)
	if err != nil || st.Failures != 1 {
		t.Fatalf("late settle: %+v %v", st, err)
	}
}

func TestLockoutUnlockAndList(t *testing.T) { forEachStore(t, testLockoutUnlockAndList) }

func testLockoutUnlockAndList(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	ctx := context.Background()
	r.lockAccount("one@example.com", ipA)
	r.lockAccount("two@example.com", ipA)
	r.mustAdmit(SignInAttempt{Email: "three@example.com", IP: ipA}, OutcomeFailure)
	r.deviceCookie("four@example.com", ipA) // a success: nothing to list
	list, err := r.l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("List: %+v, want 3 entries", list)
	}
	locked := 0
	for _, e := range list {
		if len(e.Key) != 32 || strings.Contains(e.Key, "example") {
			t.Fatalf("entry key %q", e.Key)
		}
		if !e.LockedUntil.IsZero() {
			locked++
			if !e.LockedUntil.Equal(r.clock.Now().Add(15*time.Minute)) || e.Failures != 5 {
				t.Fatalf("entry %+v", e)
			}
		}
	}
	if locked != 2 {
		t.Fatalf("%d locked entries, want 2", locked)
	}
	ok, err := r.l.Unlock(ctx, "ONE@example.com")
	if err != nil || !ok {
		t.Fatalf("Unlock: %v %v", ok, err)
	}
	r.mustAdmit(SignInAttempt{Email: "one@example.com", IP: ipB}, OutcomeNotCounted)
	if ok, _ := r.l.Unlock(ctx, "one@example.com"); ok {
		t.Fatal("a second unlock reported something cleared")
	}
	if ok, _ := r.l.Unlock(ctx, "nobody@example.com"); ok {
		t.Fatal("unlocking an unknown email reported something cleared")
	}
	key := r.l.keys.accountKey("two@example.com")
	if ok, err := r.l.UnlockKey(ctx, key); !ok || err != nil {
		t.Fatalf("UnlockKey: %v %v", ok, err)
	}
	if _, err := r.l.UnlockKey(ctx, "not-a-key"); err == nil {
		t.Fatal("UnlockKey accepted a bad key")
	}
	if list, _ := r.l.List(ctx); len(list) != 1 {
		t.Fatalf("List after unlocks: %+v", list)
	}
	if n := r.events.Count(secevent.ActionAccountUnlocked, "admin"); n != 2 {
		t.Fatalf("%d admin unlock events, want 2", n)
	}
}

func TestLockoutSessionKeyed(t *testing.T) { forEachStore(t, testLockoutSessionKeyed) }

func testLockoutSessionKeyed(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	s := SignInAttempt{Session: "tok.sig", IP: ipA}
	r.lockAccount("", ipA) // the empty email is an account like any other
	for i := 0; i < 5; i++ {
		_, st := r.mustAdmit(s, OutcomeFailure)
		if len(st.Cookies) != 0 {
			t.Fatal("cookies on a session failure")
		}
	}
	r.mustRefuse(s, ReasonLocked)
	r.mustAdmit(SignInAttempt{Session: "other.sig", IP: ipA}, OutcomeNotCounted)
}

func TestLockoutEventsCarryNoSecrets(t *testing.T) {
	r := newRig(t, storeKinds[0])
	email := "Events@Example.com"
	cookie := r.deviceCookie(email, ipA)
	r.lockAccount(email, ipA)
	r.mustRefuse(SignInAttempt{Email: email, IP: ipA}, ReasonLocked)
	if r.events.Count(secevent.ActionSignInRefused, ReasonLocked) != 1 || r.events.Count(secevent.ActionAccountLocked, "") != 1 {
		t.Fatalf("events: %+v", r.events.All())
	}
	for _, e := range r.events.All() {
		if e.UserEmail != "events@example.com" || e.SourceIP != ipA.String() || len(e.Labels["account_key"]) != 32 {
			t.Fatalf("event identity: %+v", e)
		}
		for k, v := range e.Labels {
			if strings.Contains(v, cookie) || strings.Contains(v, string(testSecret)) {
				t.Fatalf("label %s carries a secret", k)
			}
		}
	}
}

func TestNewLockoutOptions(t *testing.T) {
	if _, err := NewLockout(LockoutOptions{}); err == nil {
		t.Fatal("no secret accepted")
	}
	if _, err := NewLockout(LockoutOptions{Secret: testSecret, FreeFailures: 10, HardLimit: 5}); err == nil {
		t.Fatal("hard limit below the free failures accepted")
	}
	if _, err := NewLockout(LockoutOptions{Secret: testSecret, Locks: []time.Duration{time.Millisecond}}); err == nil {
		t.Fatal("a 1ms lock accepted")
	}
	l, err := NewLockout(LockoutOptions{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if o := l.Options(); o.FreeFailures != 5 || o.HardLimit != 100 || len(o.Locks) != 3 || o.SprayAccounts != 20 {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestLockoutAdminUnlockClearsDeviceLocks(t *testing.T) {
	forEachStore(t, testLockoutAdminUnlockClearsDeviceLocks)
}

// testLockoutAdminUnlockClearsDeviceLocks: an admin unlock lifts the
// account's lock and the lock of a trusted device that spent its own
// budget, so the owner gets in at once on the device, and it gives
// that device a fresh budget.
func testLockoutAdminUnlockClearsDeviceLocks(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	email := "device-unlock@example.com"
	cookie := r.deviceCookie(email, ipA)
	trusted := SignInAttempt{Email: email, IP: ipB, DeviceCookie: cookie}
	for range DefaultDeviceFailures {
		r.mustAdmit(trusted, OutcomeFailure)
	}
	r.mustRefuse(trusted, ReasonLocked)
	r.lockAccount(email, ipB)
	r.mustRefuse(SignInAttempt{Email: email, IP: ipB}, ReasonLocked)

	had, err := r.l.Unlock(context.Background(), email)
	if err != nil || !had {
		t.Fatalf("Unlock: %v, %v", had, err)
	}
	if n := r.events.Count(secevent.ActionAccountUnlocked, "admin"); n != 1 {
		t.Fatalf("%d admin unlock events, want 1", n)
	}
	// The device has its full budget again: 4 failures do not lock it.
	for i := 1; i < DefaultDeviceFailures; i++ {
		if adm, st := r.mustAdmit(trusted, OutcomeFailure); !adm.Trusted || st.Failures != i || st.Locked {
			t.Fatalf("device failure %d after unlock: %+v %+v", i, adm, st)
		}
	}
	r.mustAdmit(SignInAttempt{Email: email, IP: ipB}, OutcomeNotCounted)

	// Unlocking an account with only a device lock reports it and clears it.
	r.mustAdmit(trusted, OutcomeFailure)
	r.mustRefuse(trusted, ReasonLocked)
	if had, err := r.l.Unlock(context.Background(), email); err != nil || !had {
		t.Fatalf("Unlock of a device-only lock: %v, %v", had, err)
	}
	r.mustAdmit(trusted, OutcomeNotCounted)
	// Nothing left: the next unlock has nothing to clear.
	if had, err := r.l.Unlock(context.Background(), email); err != nil || had {
		t.Fatalf("second Unlock: %v, %v", had, err)
	}
}
