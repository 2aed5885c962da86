package guardmod_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/nodeapp"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// baCaddyfile puts the guard and ocomms_audit in front of the real
// better-auth (testapps/betterauth), both naming users through its
// get-session directly. {UNLOCK} holds the lock answer's options.
var baCaddyfile = modtest.SiteCaddyfile(`localhost {
	ocomms_headers
	ocomms_auth_guard {
		{UNLOCK}
		session_url {APP}/api/auth/get-session
		password off
		lockout {
			threshold 2
		}
	}
	ocomms_audit {
		session_url {APP}/api/auth/get-session
	}
	reverse_proxy {APP_HOST} {
		header_up X-Forwarded-For {client_ip}
	}
}
`, modtest.AuditJSONL)

// baEdge is the edge in front of a real better-auth whose base URL is the
// edge's (so its cookies carry the __Secure- prefix, as behind any HTTPS
// front end).
type baEdge struct {
	*edgetest.Edge
	ba     *nodeapp.BetterAuth
	origin string
	dir    string
}

// uaBrowser is one browser's user agent, with spaces, as browsers send it.
const uaBrowser = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

func startBAEdge(t *testing.T, unlock string) *baEdge {
	t.Helper()
	e := modtest.NewEdge(t)
	origin := "https://localhost:" + strconv.Itoa(e.HTTPSPort)
	ba := nodeapp.StartBetterAuth(t, "BA_BASE_URL="+origin, "BA_REQUIRE_VERIFICATION=1")
	e.Load(t, baCaddyfile, "{APP}", ba.URL(), "{APP_HOST}", ba.Addr(), "{UNLOCK}", unlock)
	return &baEdge{Edge: e, ba: ba, origin: origin, dir: filepath.Join(e.Dir, "audit")}
}

// reload replaces the guard's lock answer options (the in-memory lockout
// state is kept across the reload).
func (b *baEdge) reload(t *testing.T, unlock string) {
	t.Helper()
	b.Load(t, baCaddyfile, "{APP}", b.ba.URL(), "{APP_HOST}", b.ba.Addr(), "{UNLOCK}", unlock)
	b.Client.CloseIdleConnections() // the old server closes them
}

// do sends a request through the edge as the browser would: its user
// agent, a trusted Origin on POSTs, and cookie (a "name=value" list) when
// given.
func (b *baEdge) do(t *testing.T, method, path, body, cookie string) (*http.Response, string) {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "https://") {
		u = b.URL(path)
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", uaBrowser)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", b.origin)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(raw)
}

// sessionCookie returns "name=value" of the session cookie a response
// leaves the browser with, or "" (the last Set-Cookie of a name wins:
// better-auth's two-factor hook sets it and clears it in one answer).
func sessionCookie(resp *http.Response) string {
	return testsupport.CookiePair(resp, "better-auth.session_token")
}

// verifiedUser signs an account up (OComms v0.1.0 requires email
// verification, so no session yet), follows the verification link
// through the edge and returns the session cookie that link set.
func (b *baEdge) verifiedUser(t *testing.T, email, password string) string {
	t.Helper()
	resp, body := b.do(t, http.MethodPost, "/api/auth/sign-up/email",
		`{"email":"`+email+`","password":"`+password+`","name":"Dana"}`, "")
	if resp.StatusCode != http.StatusOK || sessionCookie(resp) != "" {
		t.Fatalf("sign-up: %d %s (cookie %q)", resp.StatusCode, body, sessionCookie(resp))
	}
	mails := b.ba.Mail(t, email)
	if len(mails) != 1 || mails[0].Kind != "verify" {
		t.Fatalf("mails %+v", mails)
	}
	link, err := url.Parse(mails[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	if link.Scheme+"://"+link.Host != b.origin {
		t.Fatalf("verification link %s is not on the edge %s", link.Redacted(), b.origin)
	}
	resp, body = b.do(t, http.MethodGet, link.String(), "", "")
	cookie := sessionCookie(resp)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(cookie, "__Secure-better-auth.session_token=") {
		t.Fatalf("verification link: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	return cookie
}

// TestBetterAuthSessionEventsThroughCaddy: against better-auth 1.4 from
// npm configured as OComms v0.1.0 (verification required, auto sign-in
// after verification), through Caddy:
//   - following the verification link is a sign-in: sign_in_succeeded,
//     method email_verification, naming the user;
//   - a sign-out names the user whose session ends (id, email, account
//     key); the same cookie again, and no cookie, are no_session failures;
//   - the user agent is the same string in auth and admin-action events.
func TestBetterAuthSessionEventsThroughCaddy(t *testing.T) {
	b := startBAEdge(t, "")
	const email, password = "dana@example.test", "correct horse battery staple"
	cookie := b.verifiedUser(t, email, password)

	in := modtest.WaitAudit(t, b.dir, 1, func(e secevent.Event) bool {
		return e.Action == secevent.ActionSignInSucceeded && e.Labels["method"] == "email_verification"
	})[0]
	if in.UserEmail != email || in.UserID == "" || in.Outcome != secevent.OutcomeSuccess || in.Path != "/api/auth/verify-email" ||
		in.SourceIP != "127.0.0.1" || in.Labels["account_key"] == "" {
		t.Fatalf("verification sign-in event %+v", in)
	}

	// An admin action with the live session, for the user agent.
	if resp, body := b.do(t, http.MethodPost, "/api/admin/export", `{"organizationId":"org-1"}`, cookie); resp.StatusCode == 0 {
		t.Fatalf("admin export: %s", body)
	}

	if resp, body := b.do(t, http.MethodPost, "/api/auth/sign-out", `{}`, cookie); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-out: %d %s", resp.StatusCode, body)
	}
	out := modtest.WaitAudit(t, b.dir, 1, modtest.OfAction(secevent.ActionSignOut))[0]
	if out.Outcome != secevent.OutcomeSuccess || out.UserID != in.UserID || out.UserEmail != email ||
		out.Labels["account_key"] != in.Labels["account_key"] || out.Labels["actor"] != "" {
		t.Fatalf("sign-out event %+v", out)
	}

	// The ended session's cookie, then no cookie: not a sign-out of anyone.
	again, _ := b.do(t, http.MethodPost, "/api/auth/sign-out", `{}`, cookie)
	none, _ := b.do(t, http.MethodPost, "/api/auth/sign-out", `{}`, "")
	outs := modtest.WaitAudit(t, b.dir, 3, modtest.OfAction(secevent.ActionSignOut))
	for i, want := range []struct {
		actor  string
		status int
	}{{"no_session", again.StatusCode}, {"anonymous", none.StatusCode}} {
		e := outs[i+1]
		if e.Outcome != secevent.OutcomeFailure || e.Reason != "no_session" || e.Labels["actor"] != want.actor ||
			e.UserID != "" || e.Status != want.status {
			t.Errorf("sign-out %d: %+v, want actor %s status %d", i+2, e, want.actor, want.status)
		}
	}

	// A password sign-in says its method; the user agent is one string.
	if resp, body := b.do(t, http.MethodPost, "/api/auth/sign-in/email", `{"email":"`+email+`","password":"`+password+`"}`, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	pw := modtest.WaitAudit(t, b.dir, 1, func(e secevent.Event) bool { return e.Labels["method"] == "password" })[0]
	admin := modtest.WaitAudit(t, b.dir, 1, modtest.OfAction(secevent.ActionAdmin))[0]
	switch {
	case admin.Labels["actor"] == "unresolved":
		// ocomms_audit's lookup gave up after its 2 s timeout (seen on
		// an overloaded machine); the user agent is still checked below.
		t.Logf("admin action's session lookup timed out: %+v", admin)
	case admin.UserID != in.UserID:
		t.Errorf("admin action names %q (labels %v), want %q", admin.UserID, admin.Labels, in.UserID)
	}
	for _, e := range []secevent.Event{in, out, outs[2], pw, admin} {
		if e.UserAgent != uaBrowser {
			t.Errorf("%s user agent %q, want %q", e.Action, e.UserAgent, uaBrowser)
		}
	}
	if n := len(modtest.WaitAudit(t, b.dir, 0, modtest.OfAction(secevent.ActionSignInSucceeded))); n != 2 {
		t.Errorf("%d sign_in_succeeded events, want 2 (verification link, password)", n)
	}
}

// TestBetterAuthLockAnswerModesThroughCaddy: the lock answer in front of
// better-auth, in each unlock mode: reset (the default: wait or reset,
// unlockUrl), a custom template, and admin (wait or an administrator, no
// unlockUrl), switched by a reload while the account stays locked.
func TestBetterAuthLockAnswerModesThroughCaddy(t *testing.T) {
	b := startBAEdge(t, "")
	const email = "erin@example.test"
	b.verifiedUser(t, email, "correct horse battery staple")
	signIn := func() (int, map[string]any) {
		resp, body := b.do(t, http.MethodPost, "/api/auth/sign-in/email", `{"email":"`+email+`","password":"wrong wrong wrong wrong"}`, "")
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		return resp.StatusCode, m
	}
	for i := 0; i < 2; i++ {
		if st, m := signIn(); st != http.StatusUnauthorized || m["code"] != "INVALID_EMAIL_OR_PASSWORD" {
			t.Fatalf("failure %d: %d %v (better-auth's own answer expected)", i+1, st, m)
		}
	}
	st, m := signIn()
	if st != http.StatusTooManyRequests || m["code"] != "ACCOUNT_TEMPORARILY_LOCKED" || m["unlockUrl"] != "/forgot-password" ||
		m["message"] != "Too many failed sign-in attempts. Try again in 15 minutes, or reset your password to unlock now." {
		t.Fatalf("reset mode: %d %v", st, m)
	}

	b.reload(t, "lock_message \"Locked for {minutes} minutes ({wait}). Ask in #it-help.\"\n\t\tunlock_url /help")
	st, m = signIn()
	if st != http.StatusTooManyRequests || m["unlockUrl"] != "/help" || !strings.HasPrefix(m["message"].(string), "Locked for 15 minutes (15 minutes).") {
		t.Fatalf("template: %d %v", st, m)
	}

	b.reload(t, "unlock_mode admin")
	st, m = signIn()
	_, hasURL := m["unlockUrl"]
	if st != http.StatusTooManyRequests || hasURL || m["error"] != m["message"] ||
		m["message"] != "Too many failed sign-in attempts. Try again in 15 minutes, or contact an administrator to unlock your account now." {
		t.Fatalf("admin mode: %d %v", st, m)
	}
}
