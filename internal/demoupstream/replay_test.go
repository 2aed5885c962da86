package demoupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

// Recorded identities the replay maps onto live ones.
const (
	aliceEmail    = "alice-mwrp14zd@example.test"
	bobEmail      = "bob-mwrp14zd@example.test"
	recordedBobID = "gBvxndIrelpbqi1topCIrkCdAzfV24O8"
	sessionHeader = "better-auth.session_token=<token>.<signature>"
)

// replayStep is one fixture case in recording order, with the session
// whose cookie replaces the recorded placeholder and optional set-up.
type replayStep struct {
	name   string
	actor  string // "alice", "bob", "alice-bad-signature" or "" (no cookie in the case)
	before func(t *testing.T, env *replayEnv, c fixtures.Case)
}

// replayInstances lists every case this fake emulates, per recording
// instance, in the order of index.json.
var replayInstances = []struct {
	name  string
	opts  Options
	steps []replayStep
}{
	{"main", Options{}, []replayStep{
		{name: "sign-up-success"}, {name: "sign-up-duplicate-email"},
		{name: "sign-up-password-too-long"}, {name: "sign-up-password-too-short"},
		{name: "sign-in-success"}, {name: "sign-in-wrong-password"}, {name: "sign-in-unknown-email"},
		{name: "sign-in-invalid-email-format"}, {name: "sign-in-malformed-json"},
		{name: "sign-in-form-urlencoded"}, {name: "sign-in-text-plain-body"},
		{name: "sign-in-no-content-type"}, {name: "sign-in-missing-field"},
		{name: "sign-in-wrong-method"}, {name: "cors-preflight-sign-in"},
		{name: "sign-in-form-cross-site-navigation"}, {name: "sign-in-fetch-metadata-untrusted-origin"},
		{name: "sign-in-untrusted-origin-no-fetch-metadata"}, {name: "sign-in-remember-me-false"},
		{name: "get-session-with-cookie", actor: "alice"}, {name: "get-session-without-cookie"},
		{name: "get-session-bad-signature", actor: "alice-bad-signature"},
		{name: "app-admin-export-with-session", actor: "alice"}, {name: "app-admin-export-without-session"},
		{name: "change-password-success", actor: "alice"}, {name: "change-password-wrong-current", actor: "alice"},
		{name: "change-password-without-session"}, {name: "change-password-form-urlencoded", actor: "alice"},
		{name: "change-password-missing-origin", actor: "alice"}, {name: "change-password-untrusted-origin", actor: "alice"},
		{name: "request-password-reset"}, {name: "request-password-reset-unknown-email"},
		{name: "forget-password-legacy-path"}, {name: "reset-password-callback-redirect"},
		{name: "reset-password-success"}, {name: "reset-password-bad-token"},
		{name: "organization-create", actor: "alice", before: addBob},
		{name: "organization-invite-member", actor: "alice"},
		{name: "organization-accept-invitation", actor: "bob"},
		{name: "organization-update-member-role", actor: "alice"},
		{name: "organization-update-member-role-forbidden", actor: "bob"},
		{name: "organization-remove-member", actor: "alice"},
		{name: "organization-endpoint-without-session"},
		{name: "sign-out", actor: "alice"}, {name: "get-session-after-sign-out", actor: "alice"},
		{name: "sign-out-without-origin", actor: "alice"},
		{name: "app-socketio-polling-handshake"},
	}},
	{"rate-limit-on", Options{RateLimit: true}, []replayStep{
		{name: "rate-limit-429-sign-in", before: withAliceAndRepeats(3)},
		{name: "rate-limit-rotated-xff-not-limited"},
		{name: "rate-limit-no-client-ip-not-limited", before: withAliceAndRepeats(5)},
	}},
	{"https-baseurl", Options{SecureCookies: true}, []replayStep{
		{name: "sign-in-success-https-baseurl", before: func(t *testing.T, env *replayEnv, _ fixtures.Case) {
			if err := env.h.AddUser("Bob", bobEmail, "bob-password-1"); err != nil {
				t.Fatal(err)
			}
			env.mapUser(t, recordedBobID, bobEmail)
		}},
	}},
}

// replayEnv is one fake instance plus what the replay learned so far.
type replayEnv struct {
	h       *Handler
	subst   map[string]string // recorded id -> live id
	cookies map[string]string // actor -> cookie value (token.signature, encoded)
}

// addBob creates Bob (signed up outside the recorded cases) with a session.
func addBob(t *testing.T, env *replayEnv, _ fixtures.Case) {
	if err := env.h.AddUser("Bob", bobEmail, "bob-password-1"); err != nil {
		t.Fatal(err)
	}
	env.mapUser(t, recordedBobID, bobEmail)
	c, err := env.h.NewSessionCookie(bobEmail)
	if err != nil {
		t.Fatal(err)
	}
	env.cookies["bob"] = c.Value
}

// withAliceAndRepeats creates Alice and sends the case's request n times
// first, as the recorder did before the recorded one.
func withAliceAndRepeats(n int) func(t *testing.T, env *replayEnv, c fixtures.Case) {
	return func(t *testing.T, env *replayEnv, c fixtures.Case) {
		if _, ok := env.h.store.userByEmail(aliceEmail); !ok {
			if err := env.h.AddUser("Alice", aliceEmail, "alice-password-1"); err != nil {
				t.Fatal(err)
			}
		}
		for range n {
			if rec := env.send(t, c, ""); rec.Code != http.StatusUnauthorized {
				t.Fatalf("warm-up request got %d, want 401", rec.Code)
			}
		}
	}
}

// mapUser records that a recorded user id is the live user with email.
func (env *replayEnv) mapUser(t *testing.T, recordedID, email string) {
	u, ok := env.h.store.userByEmail(email)
	if !ok {
		t.Fatalf("no live user %s", email)
	}
	env.subst[recordedID] = u.ID
}

// substitute replaces recorded ids and placeholders with live values.
func (env *replayEnv) substitute(s string) string {
	for recorded, live := range env.subst {
		s = strings.ReplaceAll(s, recorded, live)
	}
	return strings.ReplaceAll(s, "<reset-token>", env.h.LastResetToken(aliceEmail))
}

// send replays a case's request with the actor's cookie.
func (env *replayEnv) send(t *testing.T, c fixtures.Case, actor string) *httptest.ResponseRecorder {
	t.Helper()
	body := env.substitute(string(c.Request.BodyBytes()))
	req := httptest.NewRequest(c.Request.Method, env.substitute(c.Request.Path), strings.NewReader(body))
	// What curl sent besides the recorded headers.
	req.Header.Set("User-Agent", "curl/7.88.1")
	req.Header.Set("Accept", "*/*")
	for name, value := range c.Request.Headers {
		if name == "cookie" {
			value = strings.ReplaceAll(value, "<token>.<signature>", env.cookieFor(t, actor))
		}
		req.Header.Set(name, env.substitute(value))
	}
	rec := httptest.NewRecorder()
	env.h.ServeHTTP(rec, req)
	return rec
}

// cookieFor returns the session cookie value for an actor.
func (env *replayEnv) cookieFor(t *testing.T, actor string) string {
	t.Helper()
	if actor == "alice-bad-signature" {
		token, _, _ := strings.Cut(env.cookieFor(t, "alice"), ".")
		return token + "." + strings.Repeat("A", 43) + "%3D"
	}
	v, ok := env.cookies[actor]
	if !ok {
		t.Fatalf("no session cookie for %q", actor)
	}
	return v
}

// TestReplayCoversEveryFixture makes sure no recorded case is left out.
func TestReplayCoversEveryFixture(t *testing.T) {
	names, err := fixtures.Names()
	if err != nil {
		t.Fatal(err)
	}
	var replayed []string
	for _, inst := range replayInstances {
		for _, s := range inst.steps {
			replayed = append(replayed, s.name)
			c := fixtures.MustLoad(s.name)
			if c.Instance != inst.name {
				t.Errorf("%s is recorded on %q but replayed on %q", s.name, c.Instance, inst.name)
			}
		}
	}
	for _, n := range names {
		if !slices.Contains(replayed, n) {
			t.Errorf("fixture %s is not replayed", n)
		}
	}
}

// TestReplayFixtures replays every recorded request against a fresh fake
// per instance and compares status, code/message, headers, cookies and
// body shape (ids mapped consistently, times and tokens by format, every
// other value exactly).
func TestReplayFixtures(t *testing.T) {
	for _, inst := range replayInstances {
		t.Run(inst.name, func(t *testing.T) {
			env := &replayEnv{h: NewHandler(inst.opts), subst: map[string]string{}, cookies: map[string]string{}}
			for _, step := range inst.steps {
				c := fixtures.MustLoad(step.name)
				ok := t.Run(step.name, func(t *testing.T) {
					if step.before != nil {
						step.before(t, env, c)
					}
					rec := env.send(t, c, step.actor)
					compareResponse(t, env, c, rec)
					if c.Name == "sign-up-success" {
						env.cookies["alice"] = liveSessionCookie(t, env.h, rec)
					}
				})
				if !ok && c.Name == "sign-up-success" {
					t.Fatal("later cases depend on sign-up-success")
				}
			}
		})
	}
}

// liveSessionCookie returns the session cookie value a response set.
func liveSessionCookie(t *testing.T, h *Handler, rec *httptest.ResponseRecorder) string {
	t.Helper()
	for _, line := range rec.Result().Header.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(line, h.SessionCookieName()+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	t.Fatal("no session cookie set")
	return ""
}

// compareResponse checks a live answer against the recorded one.
func compareResponse(t *testing.T, env *replayEnv, c fixtures.Case, rec *httptest.ResponseRecorder) {
	t.Helper()
	want := c.Response
	got := rec.Result()
	if got.StatusCode != want.Status {
		t.Fatalf("status %d, want %d (body %s)", got.StatusCode, want.Status, rec.Body.Bytes())
	}
	gotCode, gotMessage := fixtures.Response{Body: rec.Body.Bytes()}.ErrorFields()
	wantCode, wantMessage := want.ErrorFields()
	if gotCode != wantCode || gotMessage != wantMessage {
		t.Errorf("code/message %q/%q, want %q/%q", gotCode, gotMessage, wantCode, wantMessage)
	}
	for name, values := range want.Headers {
		switch name {
		case "set-cookie":
			compareCookies(t, values, got.Header.Values("Set-Cookie"))
		case "x-retry-after":
			if n, err := strconv.Atoi(got.Header.Get(name)); err != nil || n < 1 || n > 10 {
				t.Errorf("x-retry-after %q, want 1..10", got.Header.Get(name))
			}
		default:
			if g, w := got.Header.Get(name), env.substitute(values[0]); g != w {
				t.Errorf("header %s = %q, want %q", name, g, w)
			}
		}
	}
	if _, ok := want.Headers["content-type"]; !ok && got.Header.Get("Content-Type") != "" {
		t.Errorf("content-type %q, recorded none", got.Header.Get("Content-Type"))
	}
	compareBody(t, env, want, rec.Body.Bytes())
}

// compareCookies compares Set-Cookie lines with values masked (empty
// values must stay empty).
func compareCookies(t *testing.T, want, got []string) {
	t.Helper()
	mask := func(lines []string) []string {
		out := make([]string, len(lines))
		for i, line := range lines {
			name, rest, _ := strings.Cut(line, "=")
			value, attrs, _ := strings.Cut(rest, ";")
			if value != "" {
				value = "<value>"
			}
			out[i] = name + "=" + value + ";" + attrs
		}
		return out
	}
	if w, g := mask(want), mask(got); !slices.Equal(w, g) {
		t.Errorf("set-cookie\n got %q\nwant %q", g, w)
	}
}

var (
	isoTime  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	rawToken = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	engineID = regexp.MustCompile(`"sid":"[A-Za-z0-9_-]{20}"`)
)

// compareBody compares the live body with the recorded one.
func compareBody(t *testing.T, env *replayEnv, want fixtures.Response, got []byte) {
	t.Helper()
	wantBytes := want.BodyBytes()
	var wantJSON any
	if len(wantBytes) == 0 || json.Unmarshal(wantBytes, &wantJSON) != nil || wantJSON == nil {
		// Empty, null or raw text: equal up to the per-connection engine.io sid.
		w := engineID.ReplaceAllString(string(wantBytes), `"sid":"*"`)
		g := engineID.ReplaceAllString(string(got), `"sid":"*"`)
		if w != g {
			t.Errorf("body %q, want %q", got, wantBytes)
		}
		return
	}
	var gotJSON any
	if err := json.Unmarshal(got, &gotJSON); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := env.sameShape("body", "", wantJSON, gotJSON); err != nil {
		t.Errorf("%v\n got %s\nwant %s", err, got, wantBytes)
	}
}

// sameShape walks recorded and live JSON together: same keys and types;
// ids map consistently onto live ids, times and tokens match their format,
// every other value is equal.
func (env *replayEnv) sameShape(path, key string, want, got any) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: got %v, want keys of %v", path, got, w)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s.%s missing", path, k)
			}
			if err := env.sameShape(path+"."+k, k, wv, gv); err != nil {
				return err
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: got %v, want %d elements", path, got, len(w))
		}
		for i := range w {
			if err := env.sameShape(fmt.Sprintf("%s[%d]", path, i), key, w[i], g[i]); err != nil {
				return err
			}
		}
	case string:
		g, ok := got.(string)
		if !ok {
			return fmt.Errorf("%s: got %v, want a string", path, got)
		}
		switch {
		case strings.HasSuffix(key, "At"):
			if !isoTime.MatchString(g) {
				return fmt.Errorf("%s: %q is not an ISO time", path, g)
			}
		case w == "<token>":
			if !rawToken.MatchString(g) {
				return fmt.Errorf("%s: %q is not a session token", path, g)
			}
		case key == "id" || strings.HasSuffix(key, "Id"):
			if live, known := env.subst[w]; known && live != g {
				return fmt.Errorf("%s: %q, but recorded %q was live %q before", path, g, w, live)
			}
			env.subst[w] = g
		default:
			if g != env.substitute(w) {
				return fmt.Errorf("%s: %q, want %q", path, g, w)
			}
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return fmt.Errorf("%s: %v, want %v", path, got, want)
		}
	}
	return nil
}
