package authguard

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/password"
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
	for _, e := range tg.events.events {
		if e.Action == secevent.ActionSignInFailed && e.UserEmail == demoupstream.DemoEmail && e.SourceIP == "192.0.2.7" && e.Reason == CodeInvalidCredentials && e.Status == 401 {
			failed++
		}
	}
	if failed != 5 || len(tg.events.events) != 5 {
		t.Errorf("events %v, want 5 sign_in_failed", tg.events.actions())
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
	e, ok := tg.events.last(secevent.ActionSignInSucceeded)
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
	if e, _ := tg.events.last(secevent.ActionSignInSucceeded); e.Labels["device_trusted"] != "true" {
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

func TestConcurrentWrongAttemptsForwardOnlyTheBudget(t *testing.T) {
	tg := newTestGuard(t, nil)
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
}

func TestPasswordRejectionIsNeverForwarded(t *testing.T) {
	tg := newTestGuard(t, nil)
	session, err := tg.up.app.(*demoupstream.Handler).NewSessionCookie(demoupstream.DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, body string }{
		{"/api/auth/sign-up/email", `{"name":"New","email":"new@ocomms.test","password":"short1"}`},
		{"/api/auth/change-password", `{"newPassword":"short2","currentPassword":"` + demoPassword + `"}`},
		{"/api/auth/reset-password", `{"newPassword":"short3","token":"abc"}`},
	} {
		w := tg.do(t, http.MethodPost, tc.path, "application/json", tc.body, session)
		var b struct{ Code, Message, Error string }
		if w.Code != 400 || json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Code != "PASSWORD_TOO_SHORT" || b.Message == "" || b.Error != b.Message {
			t.Errorf("%s: %d %s", tc.path, w.Code, w.Body)
		}
	}
	if tg.up.hits.Load() != 0 {
		t.Fatalf("%d rejected passwords reached the app", tg.up.hits.Load())
	}
	for _, e := range tg.events.events {
		if e.Action != secevent.ActionPasswordRejected || e.Reason != "PASSWORD_TOO_SHORT" {
			t.Errorf("event %+v", e)
		}
		if strings.Contains(e.Reason+e.UserEmail+e.Path, "short") {
			t.Errorf("event carries the password: %+v", e)
		}
	}
}

func TestSignUpContextAndEvent(t *testing.T) {
	var got []string
	tg := newTestGuard(t, func(c *GuardConfig) {
		c.Passwords = checkerFunc(func(_ string, ctx []string) *password.Refusal { got = ctx; return nil })
	})
	w := tg.do(t, http.MethodPost, "/api/auth/sign-up/email", "application/x-www-form-urlencoded",
		"name=Ann+Lee&email=Ann%40ocomms.test&password=four+random+words+here")
	if w.Code != 200 {
		t.Fatalf("sign-up %d %s", w.Code, w.Body)
	}
	if !slices.Equal(got, []string{"Ann@ocomms.test", "Ann Lee"}) {
		t.Fatalf("context %q", got)
	}
	if e, ok := tg.events.last(secevent.ActionSignUp); !ok || e.UserEmail != "ann@ocomms.test" || e.UserID == "" {
		t.Fatalf("sign_up event %+v", e)
	}
}

func TestResetGrantsRecoveryAndChangeIsRecorded(t *testing.T) {
	tg := newTestGuard(t, nil)
	app := tg.up.app.(*demoupstream.Handler)
	tg.do(t, http.MethodPost, "/api/auth/request-password-reset", "application/json", `{"email":"`+demoupstream.DemoEmail+`"}`)
	token := app.LastResetToken(demoupstream.DemoEmail)
	if token == "" {
		t.Fatal("no reset token")
	}
	bad := tg.do(t, http.MethodPost, "/api/auth/reset-password", "application/json", `{"newPassword":"a new long passphrase here","token":"wrong"}`)
	if bad.Code != 400 || len(bad.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("bad token: %d %v", bad.Code, bad.Header())
	}
	w := tg.do(t, http.MethodPost, "/api/auth/reset-password", "application/json", `{"newPassword":"a new long passphrase here","token":"`+token+`"}`)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Set-Cookie"), lockout.RecoveryCookieName+"=recovery-ok") {
		t.Fatalf("reset: %d %v", w.Code, w.Header())
	}
	if _, ok := tg.events.last(secevent.ActionPasswordReset); !ok || tg.engine.grants.Load() != 1 {
		t.Fatalf("events %v grants %d", tg.events.actions(), tg.engine.grants.Load())
	}
	session, _ := app.NewSessionCookie(demoupstream.DemoEmail)
	wrong := tg.do(t, http.MethodPost, "/api/auth/change-password", "application/json", `{"newPassword":"another long passphrase","currentPassword":"nope"}`, session)
	if wrong.Code != 400 {
		t.Fatalf("change with a wrong current password: %d %s", wrong.Code, wrong.Body)
	}
	if e, ok := tg.events.last(secevent.ActionPasswordChanged); !ok || e.Outcome != secevent.OutcomeFailure || e.Reason != CodeInvalidPassword {
		t.Fatalf("password_changed failure event %+v", e)
	}
	ok := tg.do(t, http.MethodPost, "/api/auth/change-password", "application/json", `{"newPassword":"another long passphrase","currentPassword":"a new long passphrase here"}`, session)
	if ok.Code != 200 {
		t.Fatalf("change: %d %s", ok.Code, ok.Body)
	}
	if e, _ := tg.events.last(secevent.ActionPasswordChanged); e.Outcome != secevent.OutcomeSuccess || e.UserID == "" {
		t.Fatalf("password_changed event %+v", e)
	}
	out := tg.do(t, http.MethodPost, "/api/auth/sign-out", "application/json", `{}`, session)
	if out.Code != 200 {
		t.Fatalf("sign-out %d", out.Code)
	}
	if _, ok := tg.events.last(secevent.ActionSignOut); !ok {
		t.Fatalf("no sign_out event: %v", tg.events.actions())
	}
}

func TestBodiesForwardedByteIdentical(t *testing.T) {
	tg := newTestGuard(t, nil)
	for _, tc := range []struct{ ct, body, forwardedAs string }{
		{"application/json", "{ \"email\" : \"demo@ocomms.test\",\n\"password\":\"x\\u0041\" }  ", "application/json"},
		{"Application/JSON; charset=UTF-8", `{"email":"demo@ocomms.test","password":"x"}`, "application/json"},
		{"application/x-www-form-urlencoded", "email=demo%40ocomms.test&password=a%20b+c", "application/x-www-form-urlencoded"},
		{"application/x-www-form-urlencoded;charset=utf-8", "email=demo%40ocomms.test&password=x", "application/x-www-form-urlencoded"},
	} {
		tg.do(t, http.MethodPost, "/api/auth/sign-in/email", tc.ct, tc.body)
		sum := sha256.Sum256([]byte(tc.body))
		if got := tg.up.lastBody(); got != hex.EncodeToString(sum[:]) {
			t.Errorf("%q: the app got different bytes", tc.body)
		}
		if got := tg.up.lastContentType(); got != tc.forwardedAs {
			t.Errorf("%q: forwarded as %q, want the canonical %q", tc.ct, got, tc.forwardedAs)
		}
	}
}

func TestBodyRefusals(t *testing.T) {
	tg := newTestGuard(t, func(c *GuardConfig) { c.MaxBody = 100 })
	var reasons []string
	tg.g.cfg.OnBodyRefused = func(reason string) { reasons = append(reasons, reason) }
	multipart := "--XYZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nvictim@b.test\r\n--XYZ--\r\n"
	cases := []struct {
		path, ct, body string
		status         int
		code           string
	}{
		{"/sign-in/email", "application/json", `{"email":"a@b.test","password":"` + strings.Repeat("x", 100) + `"}`, 413, "PAYLOAD_TOO_LARGE"},
		{"/sign-in/email", "text/plain", `x`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "application/vnd.x+json", `{"email":"a@b.test","password":"p"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "application/x-www-form-urlencoded, multipart/form-data; boundary=XYZ", multipart, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "APPL\xC4\xB0CATION/JSON, application/x-www-form-urlencoded", `{"a":"&email=x@y.z&"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "application/x-www-form-urlencoded, application/json", `{"email":"a@b.test"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "", `{"email":"a@b.test","password":"p"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "application/json", `{"email":"a@b.test","email":"c@d.test"}`, 400, "AMBIGUOUS_BODY"},
		{"/sign-in/email", "application/json", `{"password":"weak","Password":"strong"}`, 400, "AMBIGUOUS_BODY"},
		{"/sign-in/email", "application/json", `{"email":`, 400, "INVALID_BODY"},
		{"/sign-in/email", "application/json", `{"password":"x"}`, 400, "MISSING_FIELD"},
		{"/sign-in/email", "application/json", `{"email":["a@b.test"],"password":"x"}`, 400, "MISSING_FIELD"},
		{"/sign-in/email", "application/x-www-form-urlencoded", `password=x`, 400, "MISSING_FIELD"},
		{"/sign-up/email", "application/json", `{"email":"a@b.test","name":"A"}`, 400, "MISSING_FIELD"},
		{"/sign-up/email", "application/json", `{"password":"a long passphrase ok","name":"A"}`, 400, "MISSING_FIELD"},
		{"/request-password-reset", "application/json", `{"redirectTo":"/x"}`, 400, "MISSING_FIELD"},
		{"/forget-password", "application/json", `{"email":5}`, 400, "MISSING_FIELD"},
		{"/request-password-reset", "application/x-www-form-urlencoded", `email=a%40b.test`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/reset-password", "application/json", `{"newPassword":"a long passphrase ok"}`, 400, "MISSING_FIELD"},
		{"/reset-password", "application/json", `{"token":"t"}`, 400, "MISSING_FIELD"},
		{"/change-password", "application/json", `{"newPassword":"a long passphrase ok","currentPassword":"x"}`, 400, "MISSING_FIELD"},
		{"/change-password", "application/x-www-form-urlencoded", "newPassword=x", 415, "UNSUPPORTED_MEDIA_TYPE"},
	}
	for _, tc := range cases {
		w := tg.do(t, http.MethodPost, "/api/auth"+tc.path, tc.ct, tc.body)
		var b struct{ Code, Message, Error string }
		if w.Code != tc.status || json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Code != tc.code || b.Message == "" || b.Error == "" {
			t.Errorf("%s %q %q: %d %s, want %d %s", tc.path, tc.ct, tc.body, w.Code, w.Body, tc.status, tc.code)
		}
	}
	if tg.up.hits.Load() != 0 {
		t.Fatalf("%d refused bodies reached the app", tg.up.hits.Load())
	}
	if len(reasons) != len(cases) {
		t.Fatalf("%d refusals counted, want %d", len(reasons), len(cases))
	}
	var refused int
	for _, e := range tg.events.all() {
		if e.Action != secevent.ActionRequestRefused {
			continue
		}
		refused++
		if e.Labels["by"] != "auth_guard" || e.Labels["refusal"] == "" || e.Reason == "" || e.SourceIP == "" || e.Path == "" || e.Status < 400 {
			t.Fatalf("refusal event %+v", e)
		}
	}
	if refused != len(cases) {
		t.Fatalf("%d request_refused events, want %d", refused, len(cases))
	}
}

// TestChangePasswordWithTwoSessionCookiesRefused: a decoy *.session_token
// cookie beside the real one (on one Cookie line or two) would let the
// lockout count one session while the app checks another: refused.
func TestChangePasswordWithTwoSessionCookiesRefused(t *testing.T) {
	tg := newTestGuard(t, nil)
	const body = `{"newPassword":"a long passphrase ok","currentPassword":"x"}`
	for _, cookies := range [][]string{
		{"decoy.session_token=x1; better-auth.session_token=real"},
		{"decoy.session_token=x1", "better-auth.session_token=real"},
		{"better-auth.session_token=a; __Secure-better-auth.session_token=b"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/change-password", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		for _, c := range cookies {
			r.Header.Add("Cookie", c)
		}
		w := httptest.NewRecorder()
		_ = tg.g.Serve(w, r, tg.up)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "AMBIGUOUS_BODY") {
			t.Errorf("%q: %d %s, want 400 AMBIGUOUS_BODY", cookies, w.Code, w.Body)
		}
	}
	if tg.up.hits.Load() != 0 {
		t.Fatalf("%d requests with two session cookies reached the app", tg.up.hits.Load())
	}
}

// TestUnroutedMethodsRefused: a method better-auth does not route (a
// lower-case "post", WebDAV verbs) is answered by the guard, not forwarded
// past its rules.
func TestUnroutedMethodsRefused(t *testing.T) {
	tg := newTestGuard(t, nil)
	for _, m := range []string{"Post", "post", "PROPFIND", "CONNECTX"} {
		w := tg.do(t, m, "/api/auth/sign-in/email", "application/json", `{"email":"a@b.test","password":"x"}`)
		if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Body.String(), "METHOD_NOT_ALLOWED") {
			t.Errorf("%s: %d %s, want 405", m, w.Code, w.Body)
		}
	}
	if tg.up.hits.Load() != 0 {
		t.Fatalf("%d requests with unrouted methods reached the app", tg.up.hits.Load())
	}
}

// TestResetTokenInQueryIsEnough: better-auth reads the reset token from the
// body or the query; either one is the field the guard keys on.
func TestResetTokenInQueryIsEnough(t *testing.T) {
	tg := newTestGuard(t, nil)
	w := tg.do(t, http.MethodPost, "/api/auth/reset-password?token=abc", "application/json", `{"newPassword":"a long passphrase ok"}`)
	if w.Code == http.StatusBadRequest && strings.Contains(w.Body.String(), "MISSING_FIELD") {
		t.Fatalf("reset with the token in the query refused: %s", w.Body)
	}
	if tg.up.hits.Load() != 1 {
		t.Fatalf("app hits %d, want 1", tg.up.hits.Load())
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
	ip := RemoteAddrIP
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
