package guardmod_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/ocomms/ocomms-edge/caddymodule" // every module and the ocomms app, as a build has them
	"github.com/ocomms/ocomms-edge/caddymodule/guardmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// The harness of the auth guard's tests through Caddy: an edge with the
// guard in front of a demo app that counts the auth requests reaching it.

// authGuardCaddyfile puts the guard, after the headers and before
// {RATELIMIT}, in front of {UPSTREAM}; {GUARD} holds its options and
// {GLOBAL} more global options.
var authGuardCaddyfile = modtest.SiteCaddyfile(`localhost {
	ocomms_headers
	ocomms_auth_guard {
		{GUARD}
	}
	{RATELIMIT}
	reverse_proxy {UPSTREAM}
}
`, modtest.TrustedProxies, "{GLOBAL}")

// countingUpstream is the demo app behind a counter of the auth requests
// that reached it and a record of the bodies it received.
type countingUpstream struct {
	app    *demoupstream.Handler
	auth   atomic.Int64
	mu     sync.Mutex
	bodies [][]byte
	addr   string // host:port
}

// newCountingUpstream serves the demo app with opts behind the counter.
func newCountingUpstream(t *testing.T, opts demoupstream.Options) *countingUpstream {
	t.Helper()
	u := &countingUpstream{app: demoupstream.NewHandler(opts)}
	u.addr = modtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/auth/") {
			u.auth.Add(1)
			raw, _ := io.ReadAll(r.Body)
			u.mu.Lock()
			u.bodies = append(u.bodies, raw)
			u.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		u.app.ServeHTTP(w, r)
	}))
	return u
}

// lastBody is the body of the last auth request that reached the app.
func (u *countingUpstream) lastBody() []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.bodies) == 0 {
		return nil
	}
	return u.bodies[len(u.bodies)-1]
}

// guardEdge is an edge with the auth guard in front of a counting upstream.
type guardEdge struct {
	*edgetest.Edge
	up *countingUpstream
}

// startGuardEdge starts the edge with guard options, more global
// options and a rate limiter directive, in front of the demo app with opts.
func startGuardEdge(t *testing.T, guard, global, rateLimit string, opts demoupstream.Options) *guardEdge {
	t.Helper()
	e := modtest.NewEdge(t)
	up := newCountingUpstream(t, opts)
	e.Load(t, authGuardCaddyfile, guardPlaceholders(up.addr, guard, global, rateLimit)...)
	return &guardEdge{Edge: e, up: up}
}

// startDefaultGuardEdge is startGuardEdge with the guard's defaults, no
// rate limiter and the demo app's defaults.
func startDefaultGuardEdge(t *testing.T) *guardEdge {
	t.Helper()
	return startGuardEdge(t, "", "", "", demoupstream.Options{})
}

// guardPlaceholders fill authGuardCaddyfile.
func guardPlaceholders(upstream, guard, global, rateLimit string) []string {
	return []string{"{UPSTREAM}", upstream, "{GUARD}", guard, "{GLOBAL}", global, "{RATELIMIT}", rateLimit}
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes a request through the edge and reads the answer in full.
func (ge *guardEdge) send(t *testing.T, method, path, contentType string, body []byte, header ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	resp, err := ge.Client.Do(modtest.NewRequest(t, method, ge.URL(path), contentType, rd, header...))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, raw}
}

// signIn posts an email sign-in through the edge.
func (ge *guardEdge) signIn(t *testing.T, email, password string, header ...string) answer {
	t.Helper()
	return ge.send(t, http.MethodPost, "/api/auth/sign-in/email", "application/json", modtest.SignInBody(email, password), header...)
}

// code is the error code of a JSON answer, or "".
func (a answer) code() string {
	var b struct{ Code string }
	_ = json.Unmarshal(a.body, &b)
	return b.Code
}

// admin calls the edge's admin API.
func (ge *guardEdge) admin(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, "http://"+ge.AdminAddr+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("admin %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// lockouts lists the accounts with failures through the admin API.
func (ge *guardEdge) lockouts(t *testing.T) guardmod.LockoutList {
	t.Helper()
	status, raw := ge.admin(t, http.MethodGet, "/ocomms/lockouts", nil)
	var l guardmod.LockoutList
	if status != 200 || json.Unmarshal(raw, &l) != nil {
		t.Fatalf("GET /ocomms/lockouts: %d %s", status, raw)
	}
	return l
}

// failures is the sum of the listed accounts' failures.
func failures(l guardmod.LockoutList) int {
	n := 0
	for _, e := range l.Lockouts {
		n += e.Failures
	}
	return n
}

// decisionCount reads one ocomms_auth_guard_decisions_total series.
func (ge *guardEdge) decisionCount(t *testing.T, decision string) int {
	t.Helper()
	return modtest.MetricValue(t, ge.AdminAddr, `ocomms_auth_guard_decisions_total{decision="`+decision+`"}`)
}

// refusedCount reads one ocomms_requests_refused_total series.
func (ge *guardEdge) refusedCount(t *testing.T, by, reason string) int {
	t.Helper()
	return modtest.MetricValue(t, ge.AdminAddr, `ocomms_requests_refused_total{by="`+by+`",reason="`+reason+`"}`)
}

var nonceSource = regexp.MustCompile(`'nonce-[^']*'`)

// maskNonce hides the per-request CSP nonce, the only header that differs
// between any two responses of the edge.
func maskNonce(h http.Header) http.Header {
	out := h.Clone()
	out.Del("Date")
	for _, name := range []string{"Content-Security-Policy", "Content-Security-Policy-Report-Only"} {
		for i, v := range out[name] {
			out[name][i] = nonceSource.ReplaceAllString(v, "'nonce-X'")
		}
	}
	return out
}

// cookieFrom returns the cookie an answer sets under name, or nil.
func cookieFrom(a answer, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestMain keeps Caddy's data directory out of the home directory.
func TestMain(m *testing.M) { modtest.Main(m) }
