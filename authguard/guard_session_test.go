package authguard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/adminaction"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/fixtures"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

func TestSessionSignInMethod(t *testing.T) {
	for rel, want := range map[string]string{
		"/sign-in/email":                 "",
		"/sign-out":                      "",
		"/change-password":               "",
		"/get-session":                   "",
		"/multi-session/set-active":      "",
		"/verify-email":                  "email_verification",
		"/sign-up/email":                 "sign_up",
		"/two-factor/verify-totp":        "two_factor",
		"/two-factor/verify-otp":         "two_factor",
		"/magic-link/verify":             "magic_link",
		"/callback/github":               "social",
		"/oauth2/callback/keycloak":      "social",
		"/sign-in/social":                "social",
		"/sign-in/username":              "username",
		"/passkey/verify-authentication": "passkey",
		"/admin/impersonate-user":        "impersonation",
		"/reset-password":                "other",
		"/organization/create":           "other",
	} {
		if got := sessionSignInMethod(rel); got != want {
			t.Errorf("%s: %q, want %q", rel, got, want)
		}
	}
}

// TestNewSessionCookie reads the Set-Cookie lines of real better-auth
// answers: a sign-in sets a session (plain and __Secure-), a sign-out
// clears it (Max-Age=0), and re-setting the request's own token is no
// new session.
func TestNewSessionCookie(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		fixture, before, want string
	}{
		{"sign-in-success", "", "better-auth.session_token=<token>.<signature>"},
		{"sign-in-success-https-baseurl", "", "__Secure-better-auth.session_token=<token>.<signature>"},
		{"sign-in-success", "<token>.<signature>", ""},
		{"sign-out", "<token>.<signature>", ""},
		{"sign-in-wrong-password", "", ""},
	} {
		c, err := fixtures.Load(tc.fixture)
		if err != nil {
			t.Fatal(err)
		}
		if got := newSessionCookie(c.Response.Header(), tc.before, now); got != tc.want {
			t.Errorf("%s (before %q): %q, want %q", tc.fixture, tc.before, got, tc.want)
		}
	}
	h := http.Header{}
	h.Add("Set-Cookie", "better-auth.session_token=x.y; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/")
	if got := newSessionCookie(h, "", now); got != "" {
		t.Errorf("an expired cookie counts as a session: %q", got)
	}
	// Set, then cleared in the same answer (better-auth's two-factor hook
	// on sign-in): the browser ends up without a session.
	h = http.Header{}
	h.Add("Set-Cookie", "better-auth.session_token=x.y; Max-Age=604800; Path=/")
	h.Add("Set-Cookie", "better-auth.two_factor=z; Max-Age=600; Path=/")
	h.Add("Set-Cookie", "better-auth.session_token=; Max-Age=0; Path=/")
	if got := newSessionCookie(h, "", now); got != "" {
		t.Errorf("a cleared cookie counts as a session: %q", got)
	}
}

// keyedEngine is the fake engine with account keys, as the real lockout
// names them (AccountKey).
type keyedEngine struct{ *fakeEngine }

func (keyedEngine) AccountKey(email string) string { return "key:" + email }

// sessionGuard is a guard in front of the demo app whose session lookup
// asks that same app's get-session over HTTP, as in production.
func sessionGuard(t *testing.T, lookup bool) *testGuard {
	t.Helper()
	app := demoupstream.New(demoupstream.Options{})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	tg := newTestGuard(t, func(c *GuardConfig) {
		c.Lockout = keyedEngine{c.Lockout.(*fakeEngine)}
		if lookup {
			r, err := adminaction.NewSessionResolver(adminaction.SessionConfig{URL: srv.URL + "/api/auth/get-session"})
			if err != nil {
				t.Fatal(err)
			}
			c.Sessions = r
		}
	})
	tg.up = newUpstream(app)
	return tg
}

// signUp creates an account through the guard and returns its session
// cookie.
func (tg *testGuard) signUpSession(t *testing.T, email string) *http.Cookie {
	t.Helper()
	w := tg.do(t, http.MethodPost, "/api/auth/sign-up/email", "application/json",
		`{"email":"`+email+`","password":"`+demoupstream.DefaultPassword+`","name":"Ann"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("sign-up: %d %s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if strings.HasSuffix(c.Name, ".session_token") && c.Value != "" {
			return c
		}
	}
	t.Fatalf("sign-up set no session cookie: %v", w.Header())
	return nil
}

// waitEvent waits for the n-th event of an action (events of sessions
// named after the answer arrive asynchronously).
func waitEvent(t *testing.T, r *testsupport.Events, a secevent.Action, n int) secevent.Event {
	t.Helper()
	deadline := time.Now().Add(testsupport.Liveness)
	for {
		if seen := r.Of(a); len(seen) >= n {
			return seen[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d-th %s event; events: %v", n, a, r.Actions())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSignOutNamesTheUser: a sign-out of a live session names its user
// (id, email, account key), asked of the app before the session ends; a
// sign-out without a cookie, or with a cookie whose session is gone, is
// its own outcome: failure, reason no_session.
func TestSignOutNamesTheUser(t *testing.T) {
	tg := sessionGuard(t, true)
	cookie := tg.signUpSession(t, "Ann@Example.test")
	signIn := waitEvent(t, tg.events, secevent.ActionSignInSucceeded, 1)

	if w := tg.do(t, http.MethodPost, "/api/auth/sign-out", "application/json", `{}`, cookie); w.Code != http.StatusOK {
		t.Fatalf("sign-out: %d %s", w.Code, w.Body)
	}
	e := waitEvent(t, tg.events, secevent.ActionSignOut, 1)
	if e.Outcome != secevent.OutcomeSuccess || e.UserEmail != "ann@example.test" || e.UserID == "" || e.UserID != signIn.UserID ||
		e.Labels["account_key"] != "key:ann@example.test" || e.SourceIP != "192.0.2.7" || e.Labels["actor"] != "" {
		t.Fatalf("sign-out event %+v", e)
	}

	// The same cookie again: the session is gone.
	tg.do(t, http.MethodPost, "/api/auth/sign-out", "application/json", `{}`, cookie)
	e = waitEvent(t, tg.events, secevent.ActionSignOut, 2)
	if e.Outcome != secevent.OutcomeFailure || e.Reason != "no_session" || e.Labels["actor"] != "no_session" || e.UserID != "" || e.UserEmail != "" {
		t.Fatalf("sign-out of a dead session %+v", e)
	}
	// No cookie at all.
	w := tg.do(t, http.MethodPost, "/api/auth/sign-out", "application/json", `{}`)
	e = waitEvent(t, tg.events, secevent.ActionSignOut, 3)
	if e.Outcome != secevent.OutcomeFailure || e.Reason != "no_session" || e.Labels["actor"] != "anonymous" || e.Status != w.Code {
		t.Fatalf("sign-out without a cookie %+v (answer %d)", e, w.Code)
	}
}

// TestSignOutWithoutLookup: with no session lookup a sign-out still says
// why it names nobody.
func TestSignOutWithoutLookup(t *testing.T) {
	tg := sessionGuard(t, false)
	cookie := tg.signUpSession(t, "bob@example.test")
	tg.do(t, http.MethodPost, "/api/auth/sign-out", "application/json", `{}`, cookie)
	e := waitEvent(t, tg.events, secevent.ActionSignOut, 1)
	if e.Outcome != secevent.OutcomeSuccess || e.Labels["actor"] != "unresolved" || e.UserID != "" {
		t.Fatalf("sign-out event %+v", e)
	}
}

// TestSessionSignInRecorded: a sign-up that signs the user in is a
// sign-in (method sign_up) naming the new session's user; a get-session
// that re-sets the same token and a sign-out that clears it are not.
func TestSessionSignInRecorded(t *testing.T) {
	tg := sessionGuard(t, true)
	cookie := tg.signUpSession(t, "cy@example.test")
	e := waitEvent(t, tg.events, secevent.ActionSignInSucceeded, 1)
	if e.Labels["method"] != "sign_up" || e.UserEmail != "cy@example.test" || e.UserID == "" || e.Path != "/api/auth/sign-up/email" ||
		e.Labels["account_key"] != "key:cy@example.test" {
		t.Fatalf("sign-in event %+v", e)
	}
	if up, ok := tg.events.Last(secevent.ActionSignUp); !ok || up.UserID != e.UserID {
		t.Fatalf("sign_up event %+v %v", up, ok)
	}
	tg.do(t, http.MethodGet, "/api/auth/get-session", "", "", cookie)
	tg.do(t, http.MethodPost, "/api/auth/sign-out", "application/json", `{}`, cookie)
	waitEvent(t, tg.events, secevent.ActionSignOut, 1)
	time.Sleep(50 * time.Millisecond) // an asynchronous event would be in by now
	if n := tg.events.Count(secevent.ActionSignInSucceeded, ""); n != 1 {
		t.Fatalf("%d sign-ins recorded, want 1: %v", n, tg.events.Actions())
	}
	// The password form's own success says its method.
	w := tg.signIn(t, "cy@example.test", demoupstream.DefaultPassword)
	if w.Code != http.StatusOK {
		t.Fatalf("sign-in %d %s", w.Code, w.Body)
	}
	if e := waitEvent(t, tg.events, secevent.ActionSignInSucceeded, 2); e.Labels["method"] != "password" {
		t.Fatalf("password sign-in %+v", e)
	}
	if n := tg.events.Count(secevent.ActionSignInSucceeded, ""); n != 2 {
		t.Fatalf("a password sign-in recorded %d times", n-1)
	}
}
