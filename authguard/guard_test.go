package authguard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/secevent"
)

const demoPassword = demoupstream.DefaultPassword

// bodyWatch fails a test when a body is read.
type bodyWatch struct{ read bool }

func (b *bodyWatch) Read([]byte) (int, error) { b.read = true; return 0, nil }
func (b *bodyWatch) Close() error             { return nil }

func TestNonAuthRequestsPassWithNoBodyRead(t *testing.T) {
	tg := newTestGuard(t, nil)
	for _, p := range []string{"/", "/api/authx/sign-in/email", "/api/health", "/apia/auth", "/socket.io/?EIO=4", "/api/au"} {
		watch := &bodyWatch{}
		r := httptest.NewRequest(http.MethodPost, p, nil)
		r.Body = watch
		r.Header.Set("Content-Type", "application/json")
		var reached bool
		err := tg.g.Serve(httptest.NewRecorder(), r, nextFunc(func(w http.ResponseWriter, r2 *http.Request) error {
			reached = r2 == r && w != nil
			return nil
		}))
		if err != nil || !reached || watch.read {
			t.Errorf("%s: err %v, reached with the same request %v, body read %v", p, err, reached, watch.read)
		}
	}
}

type nextFunc func(http.ResponseWriter, *http.Request) error

func (f nextFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) error { return f(w, r) }

func TestRelPathMatchesWhatTheRouterMightRoute(t *testing.T) {
	tg := newTestGuard(t, nil)
	for p, want := range map[string]string{
		"/api/auth":                    "",
		"/api/auth/sign-in/email":      "/sign-in/email",
		"/api/auth/sign-in/email/":     "/sign-in/email",
		"/API/Auth/Sign-In/Email":      "/sign-in/email",
		"/api/auth//sign-in/email":     "/sign-in/email",
		"/api/auth/x/../sign-in/email": "/sign-in/email",
		"//api/auth/sign-in/email":     "/sign-in/email",
	} {
		got, ok := tg.g.relPath(p)
		if !ok || got != want {
			t.Errorf("relPath(%q) = %q, %v; want %q", p, got, ok, want)
		}
	}
	for _, p := range []string{"/api/authentic", "/api", "/", "/api/aut"} {
		if _, ok := tg.g.relPath(p); ok {
			t.Errorf("relPath(%q) is under the prefix", p)
		}
	}
}

func TestWrongPasswordsLockAfterThreshold(t *testing.T) {
	tg := newTestGuard(t, nil)
	for i := 0; i < 5; i++ {
		w := tg.signIn(t, demoupstream.DemoEmail, "wrong password number one")
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	before := tg.up.hits.Load()
	w := tg.signIn(t, demoupstream.DemoEmail, demoPassword)
	if tg.up.hits.Load() != before {
		t.Fatal("a sign-in of a locked account was forwarded: a password oracle")
	}
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("locked: status %d %s", w.Code, w.Body)
	}
	var b lockBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	want := "Too many failed sign-in attempts. Try again in 15 minutes, or reset your password to unlock now."
	if b.Code != CodeAccountTemporarilyLocked || b.Message != want || b.Error != want || b.RetryAfter != 900 || b.UnlockURL != "/forgot-password" {
		t.Fatalf("lock body %+v", b)
	}
	for h, v := range map[string]string{"Retry-After": "900", "X-Retry-After": "900", "Content-Type": "application/json", "Cache-Control": "no-store"} {
		if got := w.Header().Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
	// The guard reports each forwarded failure; locks and refusals are the
	// engine's to report.
	var failed int
	for _, e := range tg.events.All() {
		if e.Action == secevent.ActionSignInFailed && e.UserEmail == demoupstream.DemoEmail && e.SourceIP == "192.0.2.7" && e.Reason == CodeInvalidCredentials && e.Status == 401 {
			failed++
		}
	}
	if failed != 5 || len(tg.events.All()) != 5 {
		t.Errorf("events %v, want 5 sign_in_failed", tg.events.Actions())
	}
}

func TestLockAnswerIsTheSameForAnyAccount(t *testing.T) {
	tg := newTestGuard(t, nil)
	for _, email := range []string{demoupstream.DemoEmail, "nobody-here@ocomms.test"} {
		for i := 0; i < 5; i++ {
			if w := tg.signIn(t, email, "wrong password"); w.Code != http.StatusUnauthorized {
				t.Fatalf("%s attempt %d: %d", email, i+1, w.Code)
			}
		}
	}
	a := tg.signIn(t, demoupstream.DemoEmail, "x")
	b := tg.signIn(t, "nobody-here@ocomms.test", "x")
	if a.Code != b.Code || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) || !headersEqual(a.Header(), b.Header()) {
		t.Fatalf("answers differ:\n%d %v %s\n%d %v %s", a.Code, a.Header(), a.Body, b.Code, b.Header(), b.Body)
	}
}

func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestLockAnswerWording(t *testing.T) {
	tg := newTestGuard(t, func(c *GuardConfig) { c.UnlockURL = "/reset" })
	for _, tc := range []struct {
		adm      lockout.Admission
		status   int
		code     string
		retry    string
		contains string
		unlock   bool
	}{
		{lockout.Admission{Reason: lockout.ReasonThrottled, RetryAfter: 1200e6}, 429, CodeAccountTemporarilyLocked, "2", "Try again in 2 seconds, or reset your password", true},
		{lockout.Admission{Reason: lockout.ReasonLocked, RetryAfter: 60e9 + 1}, 429, CodeAccountTemporarilyLocked, "120", "Try again in 2 minutes", true},
		{lockout.Admission{Reason: lockout.ReasonLocked, RetryAfter: 60e9}, 429, CodeAccountTemporarilyLocked, "60", "Try again in 1 minute,", true},
		{lockout.Admission{Reason: lockout.ReasonHardLocked}, 429, CodeAccountLocked, "", "contact an administrator", true},
		{lockout.Admission{Reason: lockout.ReasonSpray, RetryAfter: 600e9}, 429, CodeTooManyAttempts, "600", "from your network", false},
	} {
		w := httptest.NewRecorder()
		tg.g.writeLockAnswer(w, tc.adm)
		var b map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
			t.Fatal(err)
		}
		_, hasUnlock := b["unlockUrl"]
		if w.Code != tc.status || b["code"] != tc.code || w.Header().Get("Retry-After") != tc.retry ||
			!strings.Contains(b["message"].(string), tc.contains) || hasUnlock != tc.unlock || (tc.unlock && b["unlockUrl"] != "/reset") {
			t.Errorf("%+v: %d %v %s", tc.adm, w.Code, w.Header(), w.Body)
		}
		if tc.adm.Reason == lockout.ReasonSpray && strings.Contains(w.Body.String(), "account") {
			t.Errorf("spray answer names the account: %s", w.Body)
		}
	}
}

func TestSuccessGetsDeviceCookieAndEvent(t *testing.T) {
	tg := newTestGuard(t, nil)
	w := tg.signIn(t, "Demo@OComms.test", demoPassword)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	var sawSession, sawDevice bool
	for _, c := range w.Result().Cookies() {
		sawSession = sawSession || c.Name == "better-auth.session_token"
		sawDevice = sawDevice || (c.Name == lockout.DeviceCookieName && c.Value == "device-demo@ocomms.test")
	}
	if !sawSession || !sawDevice {
		t.Fatalf("cookies %v", w.Header().Values("Set-Cookie"))
	}
	e, ok := tg.events.Last(secevent.ActionSignInSucceeded)
	if !ok || e.UserEmail != "demo@ocomms.test" || e.UserID == "" || e.Status != 200 {
		t.Fatalf("event %+v", e)
	}
	if tg.engine.settled.Load() != 1 {
		t.Fatalf("settled %d times", tg.engine.settled.Load())
	}
}

func TestFailureCookiesAreAddedToHeldAnswers(t *testing.T) {
	tg := newTestGuard(t, nil)
	// A recovery attempt that fails: the engine expires the used recovery
	// cookie, and the 401 (held to read its code) must carry that.
	w := tg.signIn(t, demoupstream.DemoEmail, "wrong", &http.Cookie{Name: lockout.RecoveryCookieName, Value: "recovery-ok"})
	if w.Code != 401 {
		t.Fatalf("status %d", w.Code)
	}
	if !strings.Contains(strings.Join(w.Header().Values("Set-Cookie"), "\n"), lockout.RecoveryCookieName+"=; Path=/; Max-Age=0") {
		t.Fatalf("Set-Cookie %v", w.Header().Values("Set-Cookie"))
	}
	var b struct{ Code string }
	if json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Code != CodeInvalidCredentials {
		t.Fatalf("held body not passed on: %q", w.Body)
	}
}

func TestTrustedDeviceGetsThroughALock(t *testing.T) {
	tg := newTestGuard(t, nil)
	for i := 0; i < 5; i++ {
		tg.signIn(t, demoupstream.DemoEmail, "wrong")
	}
	if w := tg.signIn(t, demoupstream.DemoEmail, demoPassword); w.Code != 429 {
		t.Fatalf("untrusted: %d", w.Code)
	}
	w := tg.signIn(t, demoupstream.DemoEmail, demoPassword, &http.Cookie{Name: lockout.DeviceCookieName, Value: "device-demo@ocomms.test"})
	if w.Code != 200 {
		t.Fatalf("trusted device: %d %s", w.Code, w.Body)
	}
	if e, _ := tg.events.Last(secevent.ActionSignInSucceeded); e.Labels["device_trusted"] != "true" {
		t.Fatalf("event labels %v", e.Labels)
	}
}

func TestStoreErrorFailsClosedOrOpen(t *testing.T) {
	tg := newTestGuard(t, nil)
	tg.engine.fail.Store(true)
	w := tg.signIn(t, demoupstream.DemoEmail, demoPassword)
	if w.Code != http.StatusServiceUnavailable || tg.up.hits.Load() != 0 {
		t.Fatalf("closed: %d, upstream hits %d", w.Code, tg.up.hits.Load())
	}
	var b struct{ Code, Message string }
	if json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Code != CodeSignInUnavailable || b.Message == "" {
		t.Fatalf("503 body %s", w.Body)
	}
	open := newTestGuard(t, func(c *GuardConfig) { c.FailOpen = true })
	open.engine.fail.Store(true)
	if w := open.signIn(t, demoupstream.DemoEmail, demoPassword); w.Code != 200 || open.up.hits.Load() != 1 {
		t.Fatalf("open: %d, upstream hits %d", w.Code, open.up.hits.Load())
	}
}

func TestSprayAnswer(t *testing.T) {
	tg := newTestGuard(t, nil)
	tg.engine.spray.Store(true)
	w := tg.signIn(t, "someone@ocomms.test", "x")
	if w.Code != 429 || strings.Contains(w.Body.String(), "someone") || tg.up.hits.Load() != 0 {
		t.Fatalf("%d %s hits %d", w.Code, w.Body, tg.up.hits.Load())
	}
}

// 50 concurrent wrong attempts on one account forward exactly the free
// budget, with the fake engine and with the real one.
func TestConcurrentWrongAttemptsForwardOnlyTheBudget(t *testing.T) {
	for name, newGuard := range map[string]func(*testing.T) *testGuard{
		"fake engine": func(t *testing.T) *testGuard { return newTestGuard(t, nil) },
		"real engine": newRealGuard,
	} {
		t.Run(name, func(t *testing.T) {
			tg := newGuard(t)
			var wg sync.WaitGroup
			for i := 0; i < 50; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tg.signIn(t, demoupstream.DemoEmail, "wrong")
				}()
			}
			wg.Wait()
			if n := tg.up.hits.Load(); n != 5 {
				t.Fatalf("%d of 50 concurrent wrong attempts reached the app, want 5", n)
			}
		})
	}
}

func TestSignInWithoutLockoutOrEmail(t *testing.T) {
	tg := newTestGuard(t, func(c *GuardConfig) { c.Lockout = nil })
	for i := 0; i < 8; i++ {
		if w := tg.signIn(t, demoupstream.DemoEmail, "wrong"); w.Code != 401 {
			t.Fatalf("no lockout: attempt %d got %d", i+1, w.Code)
		}
	}
	tg = newTestGuard(t, nil)
	w := tg.do(t, http.MethodPost, "/api/auth/sign-in/email", "application/json", `{"password":"x"}`)
	if w.Code != 400 || tg.engine.settled.Load() != 0 || tg.up.hits.Load() != 0 {
		t.Fatalf("no email: %d, settled %d", w.Code, tg.engine.settled.Load())
	}
}

func TestNextErrorStillSettles(t *testing.T) {
	tg := newTestGuard(t, nil)
	r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-in/email", strings.NewReader(`{"email":"a@b.test","password":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	err := tg.g.Serve(httptest.NewRecorder(), r, nextFunc(func(http.ResponseWriter, *http.Request) error { return errStoreDown }))
	if err != errStoreDown || tg.engine.settled.Load() != 1 {
		t.Fatalf("err %v, settled %d", err, tg.engine.settled.Load())
	}
	func() {
		defer func() { _ = recover() }()
		_ = tg.g.Serve(httptest.NewRecorder(), r, nextFunc(func(http.ResponseWriter, *http.Request) error { panic("boom") }))
	}()
	if tg.engine.settled.Load() != 2 {
		t.Fatalf("a panicking handler left the slot reserved")
	}
}

func TestNewGuardValidates(t *testing.T) {
	if _, err := NewGuard(GuardConfig{}); err == nil {
		t.Error("no ClientIP accepted")
	}
	ip := remoteAddrIP
	for _, p := range []string{"api/auth", "/api/../auth", "/api//auth"} {
		if _, err := NewGuard(GuardConfig{ClientIP: ip, Prefix: p}); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
	g, err := NewGuard(GuardConfig{ClientIP: ip, Prefix: "/auth/"})
	if err != nil || g.Config().Prefix != "/auth" || g.Config().MaxBody != DefaultMaxBody || g.Config().UnlockURL != DefaultUnlockURL {
		t.Fatalf("%v %+v", err, g.Config())
	}
}

func TestDecisionsAreReported(t *testing.T) {
	var mu sync.Mutex
	got := map[Decision]int{}
	tg := newTestGuard(t, func(c *GuardConfig) {
		c.OnDecision = func(d Decision) { mu.Lock(); got[d]++; mu.Unlock() }
	})
	tg.signIn(t, demoupstream.DemoEmail, demoPassword)
	for i := 0; i < 6; i++ {
		tg.signIn(t, demoupstream.DemoEmail, "wrong")
	}
	tg.do(t, http.MethodPost, "/api/auth/sign-in/email", "text/plain", "x")
	tg.do(t, http.MethodPost, "/api/auth/sign-up/email", "application/json", `{"email":"a@b.test","name":"A","password":"short"}`)
	tg.do(t, http.MethodPost, "/api/auth/sign-in/email", "application/json", `{"email":"a@b.test"}`)
	tg.engine.fail.Store(true)
	tg.signIn(t, demoupstream.DemoEmail, "x")
	want := map[Decision]int{DecisionSignInSucceeded: 1, DecisionSignInFailed: 5, DecisionRefusedLocked: 1,
		DecisionBodyRefused: 1, DecisionPasswordRejected: 1, DecisionSignInNotCounted: 1, DecisionStoreError: 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("decisions %v, want %v", got, want)
	}
}
