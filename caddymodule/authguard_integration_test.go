package caddymodule

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

const authGuardCaddyfile = `{
	admin {ADMIN}
	http_port {HTTP_PORT}
	https_port {HTTPS_PORT}
	storage file_system {DIR}/storage
	skip_install_trust
	local_certs
	servers {
		trusted_proxies static 10.0.0.0/8
		trusted_proxies_strict
	}
	{GLOBAL}
}
localhost {
	ocomms_headers
	ocomms_auth_guard {
		{GUARD}
	}
	{RATELIMIT}
	reverse_proxy {UPSTREAM}
}
`

// countingUpstream is the demo app behind a counter of the auth requests
// that reached it and a record of the bodies it received.
type countingUpstream struct {
	app    *demoupstream.Handler
	auth   atomic.Int64
	mu     sync.Mutex
	bodies [][]byte
	srv    *httptest.Server
}

func newCountingUpstream(t *testing.T, opts demoupstream.Options) *countingUpstream {
	t.Helper()
	u := &countingUpstream{app: demoupstream.NewHandler(opts)}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	t.Cleanup(u.srv.Close)
	return u
}

func (u *countingUpstream) addr() string { return strings.TrimPrefix(u.srv.URL, "http://") }

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

func startGuardEdge(t *testing.T, guard, global, rateLimit string, opts demoupstream.Options) *guardEdge {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	up := newCountingUpstream(t, opts)
	e := edgetest.New(t)
	e.Load(t, authGuardCaddyfile, "{UPSTREAM}", up.addr(), "{GUARD}", guard, "{GLOBAL}", global, "{RATELIMIT}", rateLimit)
	return &guardEdge{Edge: e, up: up}
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (ge *guardEdge) send(t *testing.T, method, path, contentType string, body []byte, header ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, ge.URL(path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ge.Client.Do(req)
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

func (ge *guardEdge) signIn(t *testing.T, email, password string, header ...string) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return ge.send(t, http.MethodPost, "/api/auth/sign-in/email", "application/json", body, header...)
}

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
func (ge *guardEdge) lockouts(t *testing.T) LockoutList {
	t.Helper()
	status, raw := ge.admin(t, http.MethodGet, "/ocomms/lockouts", nil)
	var l LockoutList
	if status != 200 || json.Unmarshal(raw, &l) != nil {
		t.Fatalf("GET /ocomms/lockouts: %d %s", status, raw)
	}
	return l
}

func (l LockoutList) failures() int {
	n := 0
	for _, e := range l.Lockouts {
		n += e.Failures
	}
	return n
}

// decisionCount reads one ocomms_auth_guard_decisions_total series from
// the admin API's /metrics (the counters are process-wide, so tests compare
// before and after).
func (ge *guardEdge) decisionCount(t *testing.T, decision string) int {
	t.Helper()
	status, raw := ge.admin(t, http.MethodGet, "/metrics", nil)
	prefix := `ocomms_auth_guard_decisions_total{decision="` + decision + `"} `
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok && status == 200 {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	t.Fatalf("no %s series in /metrics (status %d)", decision, status)
	return 0
}

func TestAuthGuardLocksThroughCaddy(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	failed0, locked0 := ge.decisionCount(t, "sign_in_failed"), ge.decisionCount(t, "refused_locked")
	for i := 0; i < 5; i++ {
		if a := ge.signIn(t, demoupstream.DemoEmail, "wrong password"); a.status != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, a.status, a.body)
		}
	}
	before := ge.up.auth.Load()
	a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword)
	if a.status != 429 || ge.up.auth.Load() != before {
		t.Fatalf("locked: %d %s, forwarded %v", a.status, a.body, ge.up.auth.Load() != before)
	}
	var b struct {
		Code, Message, Error, UnlockURL string
		RetryAfter                      int
	}
	_ = json.Unmarshal(a.body, &b)
	want := "Too many failed sign-in attempts. Try again in 15 minutes, or reset your password to unlock now."
	if b.Code != "ACCOUNT_TEMPORARILY_LOCKED" || b.Message != want || b.Error != want || b.RetryAfter != 900 || b.UnlockURL != "/forgot-password" {
		t.Fatalf("lock body %s", a.body)
	}
	for _, h := range []string{"Retry-After", "X-Retry-After"} {
		if a.header.Get(h) != "900" {
			t.Errorf("%s = %q", h, a.header.Get(h))
		}
	}
	// The lock answer carries the security headers too.
	if a.header.Get("Content-Security-Policy") == "" || a.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("lock answer without security headers: %v", a.header)
	}
	// Metrics count decisions by a bounded label.
	if f, l := ge.decisionCount(t, "sign_in_failed")-failed0, ge.decisionCount(t, "refused_locked")-locked0; f != 5 || l != 1 {
		t.Errorf("metrics: %d failures, %d refusals counted; want 5 and 1", f, l)
	}
}

func TestAuthGuardConcurrentFailuresForwardExactlyFive(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	var wg sync.WaitGroup
	var refused atomic.Int64
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a := ge.signIn(t, demoupstream.DemoEmail, "wrong password"); a.status == 429 {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := ge.up.auth.Load(); n != 5 {
		t.Fatalf("%d of 50 concurrent wrong attempts reached the app, want exactly 5", n)
	}
	if refused.Load() != 45 {
		t.Fatalf("%d refused, want 45", refused.Load())
	}
}

func TestAuthGuardReloadKeepsLock(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	for i := 0; i < 5; i++ {
		ge.signIn(t, demoupstream.DemoEmail, "wrong password")
	}
	// A different config (new unlock URL): a real reload, new handlers.
	ge.Load(t, authGuardCaddyfile, "{UPSTREAM}", ge.up.addr(), "{GUARD}", "unlock_url /reset", "{GLOBAL}", "", "{RATELIMIT}", "")
	ge.Client.CloseIdleConnections() // the old server's connections are gone
	// Until the old server has finished stopping, a request may still meet
	// it (or a connection it resets): every answer must be the lock, and
	// the new config's answer must come.
	deadline := time.Now().Add(5 * time.Second)
	for {
		body, _ := json.Marshal(map[string]string{"email": demoupstream.DemoEmail, "password": demoupstream.DefaultPassword})
		req, _ := http.NewRequest(http.MethodPost, ge.URL("/api/auth/sign-in/email"), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := ge.Client.Do(req)
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 429 {
				t.Fatalf("after reload: %d %s: the lock was lost", resp.StatusCode, raw)
			}
			if strings.Contains(string(raw), `"unlockUrl":"/reset"`) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new config never answered: %v", err)
		}
		ge.Client.CloseIdleConnections()
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuthGuardIgnoresSpoofedForwardedFor(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	// 21 distinct accounts from one client with a new X-Forwarded-For
	// each time: the spray control sees one IP (the TCP peer, untrusted),
	// so the 21st account is refused.
	for i := 0; i < 20; i++ {
		a := ge.signIn(t, fmt.Sprintf("spray-%d@ocomms.test", i), "wrong", "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		if a.status != 401 {
			t.Fatalf("account %d: %d %s", i, a.status, a.body)
		}
	}
	a := ge.signIn(t, "spray-20@ocomms.test", "wrong", "X-Forwarded-For", "198.51.100.1")
	if a.status != 429 || a.code() != "TOO_MANY_ATTEMPTS" || strings.Contains(string(a.body), "spray-20") {
		t.Fatalf("21st account from one IP: %d %s", a.status, a.body)
	}
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

func TestAuthGuardNoEnumerationThroughCaddy(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	const unknown = "nobody-at-all@ocomms.test"
	for _, email := range []string{demoupstream.DemoEmail, unknown} {
		for i := 0; i < 5; i++ {
			if a := ge.signIn(t, email, "wrong password"); a.status != 401 {
				t.Fatalf("%s: %d", email, a.status)
			}
		}
	}
	hits := ge.up.auth.Load()
	first := ge.signIn(t, demoupstream.DemoEmail, "probe")
	for i := 0; i < 200; i++ {
		a := ge.signIn(t, demoupstream.DemoEmail, "probe")
		b := ge.signIn(t, unknown, "probe")
		if a.status != b.status || a.status != 429 || !bytes.Equal(a.body, b.body) || !bytes.Equal(a.body, first.body) {
			t.Fatalf("probe %d: %d %s vs %d %s", i, a.status, a.body, b.status, b.body)
		}
		ha, hb := maskNonce(a.header), maskNonce(b.header)
		if fmt.Sprint(ha) != fmt.Sprint(hb) {
			t.Fatalf("probe %d: headers differ:\n%v\n%v", i, ha, hb)
		}
	}
	if ge.up.auth.Load() != hits {
		t.Fatal("probes of locked accounts reached the app")
	}
}

func TestAuthGuardLockBeatsRateLimit(t *testing.T) {
	// The preset's sign-in zones (per IP 30/15m and per email 10/15m, 401s
	// only) and a tight zone of our own on the same path that would refuse
	// the 6th request outright: the locked user must still get the lock
	// answer, with its unlock path.
	rl := `ocomms_rate_limit {
		zone signin-tight {
			match {
				path /api/auth/sign-in/email
			}
			rate 5/15m
			key client_ip
		}
	}`
	ge := startGuardEdge(t, "", "", rl, demoupstream.Options{})
	for i := 0; i < 5; i++ {
		if a := ge.signIn(t, demoupstream.DemoEmail, "wrong password"); a.status != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, a.status, a.body)
		}
	}
	for i := 0; i < 20; i++ {
		a := ge.signIn(t, demoupstream.DemoEmail, "wrong password")
		if a.status != 429 || a.code() != "ACCOUNT_TEMPORARILY_LOCKED" || !strings.Contains(string(a.body), "/forgot-password") {
			t.Fatalf("locked attempt %d: %d %s (the rate limiter's 429 hid the lock answer)", i+1, a.status, a.body)
		}
	}
	// Another account from the same IP meets the rate limiter: both
	// directives are really in the chain.
	if a := ge.signIn(t, "other@ocomms.test", "wrong"); a.status != 429 || a.code() != "RATE_LIMITED" {
		t.Fatalf("other account: %d %s, want the rate limiter's 429", a.status, a.body)
	}
}

func TestAuthGuardPresetZonesLeaveRoomForTheLock(t *testing.T) {
	ge := startGuardEdge(t, "", "", "ocomms_rate_limit", demoupstream.Options{})
	// Lock three accounts in turn from one IP, then probe them: every
	// answer is the lock answer, none the preset's 429.
	for _, email := range []string{"a@ocomms.test", "b@ocomms.test", "c@ocomms.test"} {
		for i := 0; i < 5; i++ {
			if a := ge.signIn(t, email, "wrong"); a.status != 401 {
				t.Fatalf("%s attempt %d: %d %s", email, i+1, a.status, a.body)
			}
		}
		for i := 0; i < 15; i++ {
			if a := ge.signIn(t, email, "wrong"); a.code() != "ACCOUNT_TEMPORARILY_LOCKED" {
				t.Fatalf("%s locked attempt %d: %d %s", email, i+1, a.status, a.body)
			}
		}
	}
}

func TestAuthGuardPasswordRejectionNeverReachesTheApp(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	a := ge.send(t, http.MethodPost, "/api/auth/sign-up/email", "application/json",
		[]byte(`{"name":"Eve","email":"eve@ocomms.test","password":"short pass"}`))
	if a.status != 400 || a.code() != "PASSWORD_TOO_SHORT" || ge.up.auth.Load() != 0 {
		t.Fatalf("sign-up with a short password: %d %s, upstream hits %d", a.status, a.body, ge.up.auth.Load())
	}
	var b struct{ Message, Error string }
	if json.Unmarshal(a.body, &b) != nil || b.Message == "" || b.Message != b.Error {
		t.Fatalf("rejection body %s", a.body)
	}
	ok := ge.send(t, http.MethodPost, "/api/auth/sign-up/email", "application/json",
		[]byte(`{"name":"Eve","email":"eve@ocomms.test","password":"marble quantum pelican 47 drift"}`))
	if ok.status != 200 || ge.up.auth.Load() != 1 {
		t.Fatalf("sign-up with a good password: %d %s", ok.status, ok.body)
	}
}

func TestAuthGuardForwardsBodiesByteIdentical(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	for _, tc := range []struct{ ct, body string }{
		{"application/json", "{ \"email\" :\"demo@ocomms.test\",\n \"password\" : \"x\\u00e9\\ud83d\\ude00\" }\n"},
		{"application/x-www-form-urlencoded", "email=demo%40ocomms.test&password=a+b%20c&rememberMe=true"},
		{"application/json; charset=UTF-8", `{"email":"demo@ocomms.test","password":"p","callbackURL":"/chat"}`},
	} {
		ge.send(t, http.MethodPost, "/api/auth/sign-in/email", tc.ct, []byte(tc.body), "Origin", demoupstream.DefaultTrustedOrigin)
		got := ge.up.lastBody()
		if !bytes.Equal(got, []byte(tc.body)) {
			want, have := sha256.Sum256([]byte(tc.body)), sha256.Sum256(got)
			t.Errorf("%q: the app got %q (sha256 %s, sent %s)", tc.body, got, hex.EncodeToString(have[:]), hex.EncodeToString(want[:]))
		}
	}
	// Ambiguous bodies never reach it.
	hits := ge.up.auth.Load()
	a := ge.send(t, http.MethodPost, "/api/auth/sign-in/email", "application/x-www-form-urlencoded",
		[]byte("email=demo%40ocomms.test&password=weak&password=strong"))
	if a.status != 400 || a.code() != "AMBIGUOUS_BODY" || ge.up.auth.Load() != hits {
		t.Fatalf("duplicate form key: %d %s", a.status, a.body)
	}
	big := ge.send(t, http.MethodPost, "/api/auth/sign-in/email", "application/json", bytes.Repeat([]byte(" "), 70<<10))
	if big.status != 413 || big.code() != "PAYLOAD_TOO_LARGE" || ge.up.auth.Load() != hits {
		t.Fatalf("70 KiB body: %d %s", big.status, big.body)
	}
}

func TestAuthGuardAdminAPI(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	for i := 0; i < 5; i++ {
		ge.signIn(t, demoupstream.DemoEmail, "wrong password")
	}
	l := ge.lockouts(t)
	if len(l.Lockouts) != 1 || l.Lockouts[0].Failures != 5 || l.Lockouts[0].LockedUntil == nil || len(l.Lockouts[0].Key) != 32 {
		t.Fatalf("list %+v", l)
	}
	status, raw := ge.admin(t, http.MethodGet, "/ocomms/lockouts", nil)
	if status != 200 || strings.Contains(string(raw), "demo@") {
		t.Fatalf("the list shows emails: %s", raw)
	}
	// GET and other methods on unlock change nothing.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		if status, _ := ge.admin(t, m, "/ocomms/lockouts/unlock?email="+demoupstream.DemoEmail, nil); status != http.StatusMethodNotAllowed {
			t.Errorf("%s unlock: %d, want 405", m, status)
		}
	}
	if status, _ := ge.admin(t, http.MethodPost, "/ocomms/lockouts", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("POST list: %d, want 405", status)
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword); a.status != 429 {
		t.Fatalf("still locked after the GETs: %d", a.status)
	}
	if status, raw := ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", map[string]string{"nope": "x"}); status != 400 {
		t.Fatalf("bad unlock body: %d %s", status, raw)
	}
	status, raw = ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", UnlockRequest{Email: "DEMO@ocomms.test"})
	var res UnlockResult
	if status != 200 || json.Unmarshal(raw, &res) != nil || !res.Unlocked {
		t.Fatalf("unlock: %d %s", status, raw)
	}
	// By key, as the list shows it.
	for i := 0; i < 5; i++ {
		ge.signIn(t, "keyed@ocomms.test", "wrong password")
	}
	l = ge.lockouts(t)
	if len(l.Lockouts) != 1 {
		t.Fatalf("list %+v", l)
	}
	if status, raw := ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", UnlockRequest{Key: "not-a-key"}); status != 400 {
		t.Fatalf("bad key: %d %s", status, raw)
	}
	status, raw = ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", UnlockRequest{Key: l.Lockouts[0].Key})
	if status != 200 || !strings.Contains(string(raw), `"unlocked":true`) {
		t.Fatalf("unlock by key: %d %s", status, raw)
	}
	if a := ge.signIn(t, "keyed@ocomms.test", "wrong password"); a.status != 401 {
		t.Fatalf("after unlock by key: %d", a.status)
	}
	ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", UnlockRequest{Email: "keyed@ocomms.test"})
	if a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword); a.status != 200 {
		t.Fatalf("after unlock: %d %s", a.status, a.body)
	}
	if l := ge.lockouts(t); len(l.Lockouts) != 0 {
		t.Fatalf("list after unlock %+v", l)
	}
}

func TestAuthGuardRefusesUnsafeConfigs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	e := edgetest.New(t)
	for _, tc := range []struct{ global, guard, want string }{
		// Redis is dialled lazily, so these fail at provisioning, offline.
		{"ocomms {\n\t\tredis redis://127.0.0.1:6379\n\t}", "", "needs the ocomms secret"},
		{"ocomms {\n\t\tsecret tooshort\n\t}", "", "at least 16"},
		{"", "store redis", "no Redis configured"},
		{"", "password {\n\t\t\tmin_length 20\n\t\t\tmax_length 10\n\t\t}", "password lengths"},
		{"", "lockout {\n\t\t\tthreshold 10\n\t\t\thard_limit 5\n\t\t}", "hard_limit"},
	} {
		err := e.TryLoad(t, authGuardCaddyfile, "{UPSTREAM}", "127.0.0.1:9", "{GUARD}", tc.guard, "{GLOBAL}", tc.global, "{RATELIMIT}", "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q / %q: %v, want an error with %q", tc.global, tc.guard, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "tooshort") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

func TestAuthGuardAdminAPIWithoutAGuard(t *testing.T) {
	ge := startGuardEdge(t, "lockout off", "", "", demoupstream.Options{})
	if status, raw := ge.admin(t, http.MethodGet, "/ocomms/lockouts", nil); status != http.StatusNotFound || !strings.Contains(string(raw), "no ocomms_auth_guard") {
		t.Fatalf("list without a lockout: %d %s", status, raw)
	}
	// lockout off: wrong passwords are only the app's business.
	for i := 0; i < 7; i++ {
		if a := ge.signIn(t, demoupstream.DemoEmail, "wrong"); a.status != 401 {
			t.Fatalf("attempt %d: %d", i+1, a.status)
		}
	}
}

func cookieFrom(a answer, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestAuthGuardUnlockPathsThroughCaddy(t *testing.T) {
	ge := startGuardEdge(t, "", "", "", demoupstream.Options{})
	ok := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword)
	device := cookieFrom(ok, "__Host-ocomms-device")
	if ok.status != 200 || device == nil || !device.Secure || !device.HttpOnly || device.Path != "/" {
		t.Fatalf("sign-in: %d, device cookie %+v", ok.status, device)
	}
	for i := 0; i < 5; i++ {
		ge.signIn(t, demoupstream.DemoEmail, "an attacker's guess")
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword); a.status != 429 {
		t.Fatalf("untrusted while locked: %d", a.status)
	}
	// The victim's browser, holding its device cookie, is not locked out.
	if a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword, "Cookie", device.Name+"="+device.Value, "Origin", demoupstream.DefaultTrustedOrigin); a.status != 200 {
		t.Fatalf("trusted device: %d %s", a.status, a.body)
	}
	// Another browser: reset the password, and the recovery cookie lets
	// the next sign-in through the lock.
	ge.send(t, http.MethodPost, "/api/auth/request-password-reset", "application/json", []byte(`{"email":"`+demoupstream.DemoEmail+`"}`))
	token := ge.up.app.LastResetToken(demoupstream.DemoEmail)
	const newPassword = "marble quantum pelican 47 drift"
	reset := ge.send(t, http.MethodPost, "/api/auth/reset-password", "application/json",
		[]byte(`{"newPassword":"`+newPassword+`","token":"`+token+`"}`))
	recovery := cookieFrom(reset, "__Host-ocomms-recovery")
	if reset.status != 200 || recovery == nil {
		t.Fatalf("reset: %d %v", reset.status, reset.header)
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, newPassword); a.status != 429 {
		t.Fatalf("locked without the recovery cookie: %d", a.status)
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, newPassword, "Cookie", recovery.Name+"="+recovery.Value, "Origin", demoupstream.DefaultTrustedOrigin); a.status != 200 {
		t.Fatalf("recovery sign-in: %d %s", a.status, a.body)
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, newPassword); a.status != 200 {
		t.Fatalf("after the recovery sign-in the account is clear: %d %s", a.status, a.body)
	}
}
