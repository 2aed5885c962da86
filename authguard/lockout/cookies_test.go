package lockout

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

func TestLockoutRecoveryCookie(t *testing.T) { forEachStore(t, testLockoutRecoveryCookie) }

func testLockoutRecoveryCookie(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	ctx := context.Background()
	email := "reset@example.com"
	r.lockAccount(email, ipA)
	rc, err := r.l.GrantRecovery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Name != RecoveryCookieName || !rc.Secure || !rc.HttpOnly || rc.Path != "/" || rc.SameSite != http.SameSiteLaxMode || rc.MaxAge != 3600 {
		t.Fatalf("recovery cookie attributes: %+v", rc)
	}
	a := SignInAttempt{Email: email, IP: ipB, RecoveryCookie: rc.Value}

	// Not counted: nothing learnt, the cookie stays usable.
	adm, _ := r.mustAdmit(a, OutcomeNotCounted)
	if !adm.Recovery {
		t.Fatal("not admitted by recovery")
	}
	adm, st := r.mustAdmit(a, OutcomeSuccess)
	if !adm.Recovery || !st.Cleared {
		t.Fatalf("recovery success: %+v %+v", adm, st)
	}
	var device, expired bool
	for _, c := range st.Cookies {
		device = device || c.Name == DeviceCookieName && c.MaxAge > 0
		expired = expired || c.Name == RecoveryCookieName && c.MaxAge < 0
	}
	if !device || !expired {
		t.Fatalf("cookies after recovery: %v", st.Cookies)
	}
	if r.events.Count(secevent.ActionAccountUnlocked, "reset") != 1 {
		t.Error("no reset unlock event")
	}
	// Cleared: five fresh failures, then locked again.
	r.lockAccount(email, ipA)
	// The used cookie opens nothing now: single use.
	r.mustRefuse(a, ReasonLocked)

	// Recovery sign-ins in flight count against the failed-recovery cap:
	// ten fresh cookies at once open the lock three times.
	var held []Admission
	for i := 0; i < 10; i++ {
		rc, _ := r.l.GrantRecovery(ctx)
		ha := SignInAttempt{Email: email, IP: ipB, RecoveryCookie: rc.Value}
		adm, err := r.l.Begin(ctx, ha)
		if err != nil {
			t.Fatal(err)
		}
		if adm.Admit {
			held = append(held, adm)
		}
	}
	if len(held) != DefaultRecoveryFailures {
		t.Fatalf("%d recovery sign-ins in flight at once, want %d", len(held), DefaultRecoveryFailures)
	}
	for _, adm := range held {
		if _, err := r.l.Settle(ctx, a, adm, OutcomeNotCounted); err != nil {
			t.Fatal(err)
		}
	}

	// Failed recoveries: three per account per day.
	for i := 0; i < DefaultRecoveryFailures; i++ {
		rc, _ := r.l.GrantRecovery(ctx)
		adm, _ := r.mustAdmit(SignInAttempt{Email: email, IP: ipB, RecoveryCookie: rc.Value}, OutcomeFailure)
		if !adm.Recovery {
			t.Fatal("not a recovery admission")
		}
	}
	rc, _ = r.l.GrantRecovery(ctx)
	r.mustRefuse(SignInAttempt{Email: email, IP: ipB, RecoveryCookie: rc.Value}, ReasonLocked)
	// An expired recovery cookie opens nothing.
	rc, _ = r.l.GrantRecovery(ctx)
	r.clock.Advance(DefaultRecoveryMaxAge)
	r.lockAccount("other@example.com", ipA)
	r.mustRefuse(SignInAttempt{Email: "other@example.com", IP: ipA, RecoveryCookie: rc.Value}, ReasonLocked)
}

func TestLockoutDeviceCookie(t *testing.T) { forEachStore(t, testLockoutDeviceCookie) }

func testLockoutDeviceCookie(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	email := "device@example.com"
	cookie := r.deviceCookie(email, ipA)
	_, st := r.mustAdmit(SignInAttempt{Email: email, IP: ipA}, OutcomeSuccess)
	c := st.Cookies[0]
	if c.Name != DeviceCookieName || !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || !c.HttpOnly ||
		c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 365*24*3600 {
		t.Fatalf("device cookie attributes: %+v", c)
	}
	if c.Value == cookie {
		t.Fatal("device cookie not re-issued")
	}
	r.lockAccount(email, ipB)
	r.mustRefuse(SignInAttempt{Email: email, IP: ipB}, ReasonLocked)

	trusted := SignInAttempt{Email: email, IP: ipB, DeviceCookie: cookie}
	// A device cookie of another account, or a garbled one, is untrusted.
	other := r.deviceCookie("someone@example.com", ipA)
	r.mustRefuse(SignInAttempt{Email: email, IP: ipB, DeviceCookie: other}, ReasonLocked)
	r.mustRefuse(SignInAttempt{Email: email, IP: ipB, DeviceCookie: flip(cookie, 20)}, ReasonLocked)

	// The device's own budget: 5 per 15 minutes, not the account's lock.
	for i := 1; i <= 5; i++ {
		adm, st := r.mustAdmit(trusted, OutcomeFailure)
		if !adm.Trusted || st.Failures != i || st.Locked != (i == 5) {
			t.Fatalf("trusted failure %d: %+v %+v", i, adm, st)
		}
	}
	if adm := r.mustRefuse(trusted, ReasonLocked); !adm.Trusted || adm.RetryAfter != 15*time.Minute {
		t.Fatalf("device lock: %+v", adm)
	}
	// Other devices of the account are not locked by this one.
	cookie2 := r.deviceCookieThroughLock(email)
	r.mustAdmit(SignInAttempt{Email: email, IP: ipA, DeviceCookie: cookie2}, OutcomeNotCounted)

	r.clock.Advance(15 * time.Minute)
	// The account's lock expired meanwhile too: lock it again.
	r.mustAdmit(SignInAttempt{Email: email, IP: ipB}, OutcomeFailure)
	r.mustRefuse(SignInAttempt{Email: email, IP: ipB}, ReasonLocked)
	adm, st := r.mustAdmit(trusted, OutcomeSuccess)
	if !adm.Trusted || len(st.Cookies) != 1 {
		t.Fatalf("trusted success: %+v %+v", adm, st)
	}
	// A trusted success does not lift the untrusted lock.
	r.mustRefuse(SignInAttempt{Email: email, IP: ipB}, ReasonLocked)
	if r.events.Count(secevent.ActionAccountUnlocked, "device") == 0 {
		t.Error("no device unlock event")
	}
	// Expired device cookie: untrusted.
	r.clock.Advance(DefaultDeviceMaxAge)
	r.lockAccount(email, ipB)
	r.mustRefuse(SignInAttempt{Email: email, IP: ipB, DeviceCookie: st.Cookies[0].Value}, ReasonLocked)
}

// deviceCookieThroughLock mints a second device cookie for email, as a
// success on another browser would have issued it.
func (r *rig) deviceCookieThroughLock(email string) string {
	c, err := newDeviceCookie(r.l.keys.device, r.l.keys.accountKey(email), r.clock.Now(), r.l.o.DeviceMaxAge)
	if err != nil {
		r.t.Fatal(err)
	}
	return c.Value
}

func TestLockoutDeviceCookieSeveralAccounts(t *testing.T) {
	forEachStore(t, testLockoutDeviceCookieSeveralAccounts)
}

// One browser signs in to four accounts in turn, always sending the cookie
// it holds: it stays trusted for the three most recent.
func testLockoutDeviceCookieSeveralAccounts(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	emails := []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}
	var jar string
	for _, e := range emails {
		_, st := r.mustAdmit(SignInAttempt{Email: e, IP: ipA, DeviceCookie: jar}, OutcomeSuccess)
		jar = st.Cookies[0].Value
		r.lockAccount(e, ipB)
	}
	if n := len(deviceEntries(jar)); n != maxDeviceEntries || len(jar) != maxDeviceEntries*deviceCookieLen+maxDeviceEntries-1 {
		t.Fatalf("cookie of %d entries, %d chars", n, len(jar))
	}
	for _, e := range emails[1:] {
		if adm, _ := r.mustAdmit(SignInAttempt{Email: e, IP: ipB, DeviceCookie: jar}, OutcomeNotCounted); !adm.Trusted {
			t.Fatalf("%s not trusted", e)
		}
	}
	// The oldest account fell out of the cookie.
	r.mustRefuse(SignInAttempt{Email: emails[0], IP: ipB, DeviceCookie: jar}, ReasonLocked)
	// A success on b moves b first and keeps the others.
	_, st := r.mustAdmit(SignInAttempt{Email: emails[1], IP: ipB, DeviceCookie: jar}, OutcomeSuccess)
	next := st.Cookies[0].Value
	for _, e := range emails[1:] {
		if adm, _ := r.mustAdmit(SignInAttempt{Email: e, IP: ipB, DeviceCookie: next}, OutcomeNotCounted); !adm.Trusted {
			t.Fatalf("%s not trusted after the re-issue", e)
		}
	}
}

func TestLockoutDeviceHardLimit(t *testing.T) { forEachStore(t, testLockoutDeviceHardLimit) }

func testLockoutDeviceHardLimit(t *testing.T, kind storeKind) {
	r := newRig(t, kind, func(o *LockoutOptions) { o.HardLimit = 12 })
	email := "shared-pc@example.com"
	cookie := r.deviceCookie(email, ipA)
	trusted := SignInAttempt{Email: email, IP: ipA, DeviceCookie: cookie}
	for i := 0; i < 12; i++ {
		if i > 0 && i%5 == 0 {
			r.clock.Advance(15 * time.Minute)
		}
		r.mustAdmit(trusted, OutcomeFailure)
	}
	r.clock.Advance(15 * time.Minute)
	// 12 in a row: the cookie is no longer trusted; the account's own
	// budget applies (fresh here).
	adm, _ := r.mustAdmit(trusted, OutcomeNotCounted)
	if adm.Trusted {
		t.Fatal("a device at the hard limit is still trusted")
	}
}
