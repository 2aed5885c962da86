package consolemod_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/ocomms/ocomms-edge/caddymodule" // every module and the ocomms app, as a build has them
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/doctor"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// consoleCaddyfile: the demo app behind the auth guard with a lockout and
// the audit log, the console on the site for signed-in admins, and the
// console on a loopback-only site for the local placement.
var consoleCaddyfile = modtest.SiteCaddyfile(`localhost {
	ocomms_headers
	ocomms_auth_guard {
		password off
		lockout {
			threshold 2
		}
	}
	ocomms_console {
		prefix /ops/console
		session_url {APP}/api/auth/get-session
		doctor_admin {ADMIN}
	}
	reverse_proxy {UPSTREAM_HOST}
}
http://:{CONSOLE_PORT} {
	bind 127.0.0.1
	ocomms_console {
		access local
		refresh 2s
	}
}
`, modtest.AuditJSONL)

// roleApp answers get-session like better-auth with the admin plugin.
func roleApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(r.Header.Get("Cookie"), "session_token=adm"):
			io.WriteString(w, `{"session":{"token":"tok-admin"},"user":{"id":"admin-1","email":"root@ocomms.test","role":"admin"}}`)
		case strings.Contains(r.Header.Get("Cookie"), "session_token=usr"):
			io.WriteString(w, `{"session":{"token":"tok-user"},"user":{"id":"user-1","email":"user@ocomms.test","role":"user"}}`)
		default:
			io.WriteString(w, `null`)
		}
	})
}

type consoleEdge struct {
	*edgetest.Edge
	local string // base URL of the local console
}

func (ce *consoleEdge) do(t *testing.T, method, u, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	resp, err := ce.Client.Do(modtest.NewRequest(t, method, u, "", rd, hdr...))
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

func (ce *consoleEdge) api(t *testing.T, path string, v any) {
	t.Helper()
	st, _, raw := ce.do(t, http.MethodGet, ce.local+"/ocomms/console/api/"+path, "")
	if st != 200 {
		t.Fatalf("%s: %d %s", path, st, raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v: %s", path, err, raw)
	}
}

type consoleEventList struct {
	Events []struct {
		ID      string            `json:"id"`
		Action  string            `json:"action"`
		Account string            `json:"account"`
		Target  string            `json:"target"`
		Labels  map[string]string `json:"labels"`
	} `json:"events"`
}

// waitEvents polls the console's event list until want events of the
// query are there (the audit log writes its files asynchronously).
func (ce *consoleEdge) waitEvents(t *testing.T, query string, want int) consoleEventList {
	t.Helper()
	var got consoleEventList
	for deadline := time.Now().Add(20 * time.Second); ; {
		got = consoleEventList{}
		ce.api(t, "events?"+query, &got)
		if len(got.Events) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func startConsoleEdge(t *testing.T) *consoleEdge {
	t.Helper()
	e := modtest.NewEdge(t)
	up := modtest.Serve(t, demoupstream.NewHandler(demoupstream.Options{PollHold: 50e6}))
	app := "http://" + modtest.Serve(t, roleApp())
	port := testsupport.FreePort(t)
	e.Load(t, consoleCaddyfile, "{APP}", app, "{UPSTREAM_HOST}", up, "{CONSOLE_PORT}", strconv.Itoa(port))
	return &consoleEdge{Edge: e, local: "http://127.0.0.1:" + strconv.Itoa(port)}
}

// TestConsoleThroughCaddy: a lockout made through the edge shows in the
// local console (by key, and by the typed email's hash), its failures are
// in the events and the charts, the unlock works, lets the user sign in
// and is recorded as an admin action; no email reaches the page.
func TestConsoleThroughCaddy(t *testing.T) {
	ce := startConsoleEdge(t)
	signIn := func(password string) int {
		st, _, _ := ce.do(t, http.MethodPost, ce.URL("/api/auth/sign-in/email"),
			string(modtest.SignInBody(demoupstream.DemoEmail, password)), "Content-Type", "application/json", "Origin", strings.TrimSuffix(ce.URL(""), "/"))
		return st
	}
	for range 3 {
		signIn("wrong password")
	}
	if st := signIn(demoupstream.DefaultPassword); st == http.StatusOK {
		t.Fatalf("the account is not locked")
	}

	var locks struct {
		Lockouts []struct {
			Key      string `json:"key"`
			Locked   bool   `json:"locked"`
			Failures int    `json:"failures"`
		} `json:"lockouts"`
		TypedKey string `json:"typed_key"`
	}
	ce.api(t, "lockouts?email="+url.QueryEscape(strings.ToUpper(demoupstream.DemoEmail)), &locks)
	if len(locks.Lockouts) != 1 || !locks.Lockouts[0].Locked || locks.Lockouts[0].Key != locks.TypedKey || locks.TypedKey == "" {
		t.Fatalf("lockouts: %+v", locks)
	}
	key := locks.TypedKey

	failed := ce.waitEvents(t, "type=sign_in_failed", 2)
	if len(failed.Events) < 2 || failed.Events[0].Account != key {
		t.Fatalf("sign_in_failed events: %+v", failed)
	}
	byKey := ce.waitEvents(t, "account="+key, 3)
	if len(byKey.Events) < 3 {
		t.Errorf("events by account hash: %+v", byKey)
	}
	var series struct {
		Series []struct {
			Chart, Name string
			Counts      []int
		} `json:"series"`
	}
	ce.api(t, "series?window=hour", &series)
	total := 0
	for _, s := range series.Series {
		if s.Name == "sign_in_failed" {
			for _, c := range s.Counts {
				total += c
			}
		}
	}
	if total < 2 {
		t.Errorf("chart sign_in_failed total %d: %+v", total, series)
	}
	for _, p := range []string{"lockouts", "events", "events?type=account_locked", "series", "csp", "health", "verify"} {
		_, _, raw := ce.do(t, http.MethodGet, ce.local+"/ocomms/console/api/"+p, "")
		if strings.Contains(string(raw), demoupstream.DemoEmail) || strings.Contains(string(raw), "wrong password") {
			t.Errorf("%s shows an email or a password: %s", p, raw)
		}
	}

	// Unlock: refused cross-origin, done same-origin and confirmed.
	body := `{"key":"` + key + `","confirm":"` + key + `"}`
	if st, _, raw := ce.do(t, http.MethodPost, ce.local+"/ocomms/console/api/unlock", body, "Content-Type", "application/json", "Origin", "https://evil.test"); st != http.StatusForbidden {
		t.Fatalf("cross-origin unlock: %d %s", st, raw)
	}
	st, _, raw := ce.do(t, http.MethodPost, ce.local+"/ocomms/console/api/unlock", body, "Content-Type", "application/json", "Origin", ce.local)
	if st != 200 || !strings.Contains(string(raw), `"unlocked":true`) {
		t.Fatalf("unlock: %d %s", st, raw)
	}
	if st := signIn(demoupstream.DefaultPassword); st != http.StatusOK {
		t.Fatalf("sign-in after unlock: %d", st)
	}
	admin := ce.waitEvents(t, "type=admin_action", 1)
	if len(admin.Events) != 1 || admin.Events[0].Target != key || admin.Events[0].Labels["via"] != "console" || admin.Events[0].Labels["operator"] != "local" {
		t.Fatalf("admin_action events: %+v", admin)
	}

	var health struct {
		Findings []struct{ Area, Name, Status string } `json:"findings"`
	}
	ce.api(t, "health", &health)
	seen := map[string]string{}
	for _, f := range health.Findings {
		seen[f.Area+"/"+f.Name] = f.Status
	}
	if seen["audit/spool"] != "ok" || seen["lockout/engines"] != "ok" || seen["redis/clients"] != "off" {
		t.Errorf("health: %+v", health)
	}
	var verify struct {
		Verify *struct {
			OK      bool  `json:"ok"`
			Records int64 `json:"records"`
		} `json:"verify"`
		LastCheckpoint *time.Time `json:"last_checkpoint"`
	}
	// A checkpoint is signed within a second of events.
	for deadline := time.Now().Add(20 * time.Second); verify.LastCheckpoint == nil && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ce.api(t, "verify", &verify)
	}
	if verify.Verify == nil || !verify.Verify.OK || verify.Verify.Records < 5 || verify.LastCheckpoint == nil || time.Since(*verify.LastCheckpoint) > time.Hour {
		t.Errorf("verify: %+v, last checkpoint %v", verify.Verify, verify.LastCheckpoint)
	}
}

// TestConsoleSiteNeedsAdminSession: on the site, the console answers
// only a session whose user has the admin role (asked of the app's
// get-session endpoint); others get 403 JSON and no data. The page's tags
// carry the nonce of the site's CSP, and the certificate of the site is
// reported.
func TestConsoleSiteNeedsAdminSession(t *testing.T) {
	ce := startConsoleEdge(t)
	for _, cookie := range []string{"", "better-auth.session_token=usr", "better-auth.session_token=nobody"} {
		for _, p := range []string{"/ops/console/", "/ops/console/api/lockouts", "/ops/console/api/events", "/ops/console/assets/console.js"} {
			st, hdr, raw := ce.do(t, http.MethodGet, ce.URL(p), "", "Cookie", cookie)
			var b struct{ Code, Message, Error string }
			if st != http.StatusForbidden || json.Unmarshal(raw, &b) != nil || b.Code != "FORBIDDEN" || b.Error == "" || hdr.Get("Content-Type") != "application/json" {
				t.Errorf("%q %s: %d %s", cookie, p, st, raw)
			}
		}
	}
	st, hdr, raw := ce.do(t, http.MethodGet, ce.URL("/ops/console/"), "", "Cookie", "better-auth.session_token=adm")
	if st != 200 {
		t.Fatalf("admin page: %d %s", st, raw)
	}
	m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(strings.Join(hdr.Values("Content-Security-Policy"), ";"))
	if m == nil || strings.Count(string(raw), `nonce="`+m[1]+`"`) != 4 {
		t.Errorf("the page's tags do not carry the site's nonce: CSP %q\n%s", hdr.Values("Content-Security-Policy"), raw)
	}
	st, _, raw = ce.do(t, http.MethodGet, ce.URL("/ops/console/api/health"), "", "Cookie", "better-auth.session_token=adm")
	if st != 200 || !strings.Contains(string(raw), `"subjects":["localhost"]`) {
		t.Errorf("health on the site: %d %s", st, raw)
	}
	// The doctor, run from the page against this site and admin API.
	st, _, raw = ce.do(t, http.MethodGet, ce.URL("/ops/console/api/doctor"), "", "Cookie", "better-auth.session_token=adm")
	var doc struct {
		Findings []struct{ Area, Name, Status, Detail string } `json:"findings"`
	}
	if st != 200 || json.Unmarshal(raw, &doc) != nil {
		t.Fatalf("doctor: %d %s", st, raw)
	}
	byName := map[string]string{}
	for _, f := range doc.Findings {
		byName[f.Name] = f.Status + ": " + f.Detail
	}
	if !strings.HasPrefix(byName["admin api"], "ok") || !strings.HasPrefix(byName["console"], "warn") || byName["headers /"] == "" {
		t.Errorf("doctor findings: %+v", doc.Findings)
	}
	// Everything else on the site still reaches the app.
	if st, _, _ := ce.do(t, http.MethodGet, ce.URL("/api/auth/get-session"), ""); st != 200 {
		t.Errorf("app behind the console: %d", st)
	}
}

// TestConsoleDoctorReportsExposure: the doctor reads the running config
// and says where the console answers: the local one on the loopback
// listener, the site one for admins, with a warning that no
// ocomms_ip_allow stands in front of it.
func TestConsoleDoctorReportsExposure(t *testing.T) {
	ce := startConsoleEdge(t)
	rep, err := doctor.Run(context.Background(), doctor.Options{URL: ce.URL("/"), Admin: ce.AdminAddr, Only: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := rep.Find("console")
	if !ok || r.Status != doctor.Warn || !strings.Contains(r.Detail, "/ops/console (access session") ||
		!strings.Contains(r.Detail, "127.0.0.1:"+strings.TrimPrefix(ce.local, "http://127.0.0.1:")+"/ocomms/console (access local") || !strings.Contains(r.Fix, "ocomms_ip_allow") {
		t.Fatalf("console check: %+v", r)
	}
}

// TestConsoleHealthShowsRedisDown: with the shared Redis unreachable, the
// health panel says so for the client (PING), without the error's text,
// and shows the rate limiter's breaker.
func TestConsoleHealthShowsRedisDown(t *testing.T) {
	port := testsupport.FreePort(t)
	e := modtest.StartEdge(t, modtest.SiteCaddyfile(`localhost {
	ocomms_rate_limit
	respond ok
}
http://:{CONSOLE_PORT} {
	bind 127.0.0.1
	ocomms_console {
		access local
	}
}
`, "ocomms {\n\t\tredis redis://127.0.0.1:1\n\t}"), "{CONSOLE_PORT}", strconv.Itoa(port))
	ce := &consoleEdge{Edge: e, local: "http://127.0.0.1:" + strconv.Itoa(port)}
	if st, _, raw := ce.do(t, http.MethodPost, e.URL("/api/auth/sign-up/email"), `{"email":"a@b.test"}`, "Content-Type", "application/json"); st != 200 {
		t.Fatalf("request through the limiter: %d %s", st, raw)
	}
	var health struct {
		Findings []struct{ Area, Name, Status, Detail string } `json:"findings"`
	}
	ce.api(t, "health", &health)
	got := map[string]string{}
	for _, f := range health.Findings {
		got[f.Area+"/"+f.Name] = f.Status
		if strings.Contains(f.Detail, "refused") || strings.Contains(f.Detail, "dial") {
			t.Errorf("a store error's text reached the page: %+v", f)
		}
	}
	if got["redis/127.0.0.1:1"] != "fail" || got["redis/rate limit breaker"] == "" {
		t.Errorf("health with Redis down: %+v", health.Findings)
	}
}

// TestMain keeps Caddy's data directory out of the home directory.
func TestMain(m *testing.M) { modtest.Main(m) }
