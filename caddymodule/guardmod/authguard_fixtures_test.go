package guardmod_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/guardmod"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

// Recorded identities of the sign-in fixtures.
const (
	fixtureAlice    = "alice-mwrp14zd@example.test"
	fixtureAlicePwd = "alice-password-1"
	fixtureBob      = "bob-mwrp14zd@example.test"
	fixtureBobPwd   = "bob-password-1"
)

// TestAuthGuardFixtureRows replays every recorded better-auth sign-in row
// through Caddy (the guard, then the demo app replaying the fixtures) and
// checks how the guard read the answer, as the admin API's failure counts
// show it: before each row the account is cleared and given one failure;
// a row read as a failure makes it 2, one not counted leaves 1, a success
// clears it to 0. Rows the guard answers itself must not reach the app.
func TestAuthGuardFixtureRows(t *testing.T) {
	type row struct {
		name      string
		status    int    // the edge's answer
		forwarded bool   // reached the app
		outcome   string // fail, none, success
		note      string
	}
	instances := []struct {
		name string
		opts demoupstream.Options
		pre  int // extra wrong attempts before the row (fills better-auth's limiter)
		rows []row
	}{
		{"main", demoupstream.Options{}, 0, []row{
			{name: "sign-in-success", status: 200, forwarded: true, outcome: "success"},
			{name: "sign-in-wrong-password", status: 401, forwarded: true, outcome: "fail"},
			{name: "sign-in-unknown-email", status: 401, forwarded: true, outcome: "fail"},
			{name: "sign-in-invalid-email-format", status: 400, forwarded: true, outcome: "none"},
			{name: "sign-in-malformed-json", status: 400, outcome: "none", note: "refused by the edge (INVALID_BODY); the app would answer 500"},
			{name: "sign-in-form-urlencoded", status: 200, forwarded: true, outcome: "success"},
			{name: "sign-in-text-plain-body", status: 415, outcome: "none", note: "refused by the edge with better-auth's own code and message"},
			{name: "sign-in-no-content-type", status: 415, outcome: "none", note: "a body without a Content-Type is refused by the edge; the app would drop the body and answer 400"},
			{name: "sign-in-missing-field", status: 400, forwarded: true, outcome: "none"},
			{name: "sign-in-wrong-method", status: 404, forwarded: true, outcome: "none"},
			{name: "cors-preflight-sign-in", status: 404, forwarded: true, outcome: "none"},
			{name: "sign-in-form-cross-site-navigation", status: 403, forwarded: true, outcome: "none"},
			{name: "sign-in-fetch-metadata-untrusted-origin", status: 403, forwarded: true, outcome: "none"},
			{name: "sign-in-untrusted-origin-no-fetch-metadata", status: 200, forwarded: true, outcome: "success"},
			{name: "sign-in-remember-me-false", status: 200, forwarded: true, outcome: "success"},
		}},
		// better-auth's own limiter keys on the first X-Forwarded-For entry;
		// behind the edge that is always the real client, so rotating or
		// dropping the header no longer escapes it (the recorded 401s of
		// the last two rows become 429s), and its 429s are not counted.
		{"rate-limit-on", demoupstream.Options{RateLimit: true}, 2, []row{
			{name: "rate-limit-429-sign-in", status: 429, forwarded: true, outcome: "none"},
			{name: "rate-limit-rotated-xff-not-limited", status: 429, forwarded: true, outcome: "none", note: "recorded 401 without the edge"},
			{name: "rate-limit-no-client-ip-not-limited", status: 429, forwarded: true, outcome: "none", note: "recorded 401 without the edge"},
		}},
		{"https-baseurl", demoupstream.Options{SecureCookies: true}, 0, []row{
			{name: "sign-in-success-https-baseurl", status: 200, forwarded: true, outcome: "success"},
		}},
	}
	for _, inst := range instances {
		t.Run(inst.name, func(t *testing.T) {
			ge := startGuardEdge(t, "password off", "", "", inst.opts)
			for _, u := range [][2]string{{fixtureAlice, fixtureAlicePwd}, {fixtureBob, fixtureBobPwd}} {
				if err := ge.up.app.AddUser("User", u[0], u[1]); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range inst.rows {
				c, err := fixtures.Load(r.name)
				if err != nil {
					t.Fatal(err)
				}
				// Start clear, with one failure on the row's account.
				email := fixtureAlice
				if strings.Contains(string(c.Request.Body), fixtureBob) {
					email = fixtureBob
				}
				ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", guardmod.UnlockRequest{Email: email})
				ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", guardmod.UnlockRequest{Email: "nobody-mwrp14zd@example.test"})
				if a := ge.signIn(t, email, "a wrong password"); a.status != 401 && inst.pre == 0 {
					t.Fatalf("%s: set-up failure: %d %s", r.name, a.status, a.body)
				}
				for i := 0; i < inst.pre; i++ {
					ge.signIn(t, email, "a wrong password")
				}
				before := failures(ge.lockouts(t))
				hits := ge.up.auth.Load()
				a := replay(t, ge, c)
				if a.status != r.status {
					t.Errorf("%s: edge answered %d %s, want %d (%s)", r.name, a.status, a.body, r.status, r.note)
				}
				if got := ge.up.auth.Load() != hits; got != r.forwarded {
					t.Errorf("%s: forwarded %v, want %v", r.name, got, r.forwarded)
				}
				if a.status == c.Response.Status {
					if code, _ := c.Response.ErrorFields(); code != a.code() {
						t.Errorf("%s: code %q, recorded %q", r.name, a.code(), code)
					}
				}
				after := failures(ge.lockouts(t))
				want := map[string]int{"fail": before + 1, "none": before, "success": before - 1}[r.outcome]
				if r.outcome == "success" && len(ge.lockouts(t).Lockouts) != 0 {
					t.Errorf("%s: a success left %+v", r.name, ge.lockouts(t).Lockouts)
				}
				if after != want {
					t.Errorf("%s: failures %d → %d, want %d (%s)", r.name, before, after, want, r.outcome)
				}
			}
		})
	}
}

// replay sends a fixture's request through the edge with its recorded
// method, path, headers and body.
func replay(t *testing.T, ge *guardEdge, c fixtures.Case) answer {
	t.Helper()
	req, err := c.Request.NewRequest(ge.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Request.BodyBytes(); b != nil {
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := ge.Client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, raw}
}
