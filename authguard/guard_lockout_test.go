package authguard

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// newRealGuard is a guard on the real lockout engine (memory store).
func newRealGuard(t *testing.T) *testGuard {
	t.Helper()
	events := testsupport.NewEvents()
	engine, err := lockout.NewLockout(lockout.LockoutOptions{Secret: []byte("guard-test-secret-0123456789"), Events: events})
	if err != nil {
		t.Fatal(err)
	}
	tg := newTestGuard(t, func(c *GuardConfig) { c.Lockout = engine; c.Events = events })
	tg.events = events
	return tg
}

func cookieNamed(w interface{ Result() *http.Response }, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestRealEngineLocksAndAnswersAlike(t *testing.T) {
	tg := newRealGuard(t)
	unknown := "nobody-" + strings.Repeat("x", 3) + "@ocomms.test"
	for _, email := range []string{demoupstream.DemoEmail, unknown} {
		for i := 0; i < 5; i++ {
			if w := tg.signIn(t, email, "wrong password"); w.Code != 401 {
				t.Fatalf("%s attempt %d: %d %s", email, i+1, w.Code, w.Body)
			}
		}
	}
	hits := tg.up.hits.Load()
	a := tg.signIn(t, demoupstream.DemoEmail, demoPassword)
	b := tg.signIn(t, unknown, "anything")
	if tg.up.hits.Load() != hits {
		t.Fatal("a locked sign-in was forwarded")
	}
	if a.Code != 429 || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) || !headersEqual(a.Header(), b.Header()) {
		t.Fatalf("lock answers differ or not 429:\n%d %v %s\n%d %v %s", a.Code, a.Header(), a.Body, b.Code, b.Header(), b.Body)
	}
	if !strings.Contains(a.Body.String(), `"code":"ACCOUNT_TEMPORARILY_LOCKED"`) || !strings.Contains(a.Body.String(), "Try again in 15 minutes") ||
		a.Header().Get("Retry-After") != "900" || !strings.Contains(a.Body.String(), `"unlockUrl":"/forgot-password"`) {
		t.Fatalf("lock answer %v %s", a.Header(), a.Body)
	}
	if _, ok := tg.events.Last(secevent.ActionAccountLocked); !ok {
		t.Errorf("no account_locked event: %v", tg.events.Actions())
	}
}

func TestRealEngineDeviceCookieAndRecovery(t *testing.T) {
	tg := newRealGuard(t)
	ok := tg.signIn(t, demoupstream.DemoEmail, demoPassword)
	device := cookieNamed(ok, lockout.DeviceCookieName)
	if ok.Code != 200 || device == nil || !device.HttpOnly || !device.Secure {
		t.Fatalf("success: %d, device cookie %v", ok.Code, device)
	}
	for i := 0; i < 5; i++ {
		tg.signIn(t, demoupstream.DemoEmail, "attacker guess")
	}
	if w := tg.signIn(t, demoupstream.DemoEmail, demoPassword); w.Code != 429 {
		t.Fatalf("untrusted client while locked: %d", w.Code)
	}
	if w := tg.signIn(t, demoupstream.DemoEmail, demoPassword, device); w.Code != 200 {
		t.Fatalf("the victim's trusted device: %d %s", w.Code, w.Body)
	}
	// A reset grants a recovery cookie that lets one sign-in through the
	// untrusted lock; its success clears the account.
	app := tg.up.app.(*demoupstream.Handler)
	tg.do(t, http.MethodPost, "/api/auth/request-password-reset", "application/json", `{"email":"`+demoupstream.DemoEmail+`"}`)
	const newPassword = "violet tractor summer ocean"
	reset := tg.do(t, http.MethodPost, "/api/auth/reset-password", "application/json",
		`{"newPassword":"`+newPassword+`","token":"`+app.LastResetToken(demoupstream.DemoEmail)+`"}`)
	recovery := cookieNamed(reset, lockout.RecoveryCookieName)
	if reset.Code != 200 || recovery == nil {
		t.Fatalf("reset: %d %v", reset.Code, reset.Header())
	}
	w := tg.signIn(t, demoupstream.DemoEmail, newPassword, recovery)
	if w.Code != 200 {
		t.Fatalf("recovery sign-in: %d %s", w.Code, w.Body)
	}
	if c := cookieNamed(w, lockout.RecoveryCookieName); c == nil || c.MaxAge >= 0 {
		t.Fatalf("used recovery cookie not expired: %v", w.Header().Values("Set-Cookie"))
	}
	if w := tg.signIn(t, demoupstream.DemoEmail, newPassword); w.Code != 200 {
		t.Fatalf("after recovery the account is clear: %d", w.Code)
	}
	if e, ok := tg.events.Last(secevent.ActionAccountUnlocked); !ok || e.Labels["unlock_by"] != "reset" {
		t.Fatalf("unlock event %+v", e)
	}
}

func TestRealEngineChangePasswordGuessesAreCounted(t *testing.T) {
	tg := newRealGuard(t)
	app := tg.up.app.(*demoupstream.Handler)
	session, err := app.NewSessionCookie(demoupstream.DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"newPassword":"violet tractor summer ocean","currentPassword":"a guess"}`
	for i := 0; i < 5; i++ {
		if w := tg.do(t, http.MethodPost, "/api/auth/change-password", "application/json", body, session); w.Code != 400 {
			t.Fatalf("guess %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	hits := tg.up.hits.Load()
	w := tg.do(t, http.MethodPost, "/api/auth/change-password", "application/json", body, session)
	if w.Code != 429 || tg.up.hits.Load() != hits || !strings.Contains(w.Body.String(), CodeTooManyAttempts) {
		t.Fatalf("6th guess in the session: %d %s (forwarded: %v)", w.Code, w.Body, tg.up.hits.Load() != hits)
	}
	// Another session is not affected.
	other, _ := app.NewSessionCookie(demoupstream.DemoEmail)
	if w := tg.do(t, http.MethodPost, "/api/auth/change-password", "application/json", body, other); w.Code != 400 {
		t.Fatalf("another session: %d", w.Code)
	}
}
