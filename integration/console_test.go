package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/nodeapp"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// consoleEdgeCaddyfile: real better-auth (with the admin plugin) behind
// the auth guard's lockout, the audit log, and the console on a site path
// for better-auth admins.
const consoleEdgeCaddyfile = `{
	admin {ADMIN}
	http_port {HTTP_PORT}
	https_port {HTTPS_PORT}
	storage file_system {DIR}/storage
	skip_install_trust
	local_certs
	ocomms {
		audit {
			jsonl {DIR}/audit
		}
	}
}
localhost {
	ocomms_headers
	ocomms_auth_guard {
		password off
		lockout {
			threshold 3
		}
	}
	ocomms_console {
		prefix /ops/console
		session_url {APP}/api/auth/get-session
		doctor_admin {ADMIN}
	}
	reverse_proxy {APP_HOST}
}
`

// consoleReport is what testapps/console/browser-check.mjs prints.
type consoleReport struct {
	Anonymous map[string]json.RawMessage `json:"anonymous"`
	NonAdmin  map[string]json.RawMessage `json:"nonAdmin"`
	Admin     struct {
		SignIn       int      `json:"signIn"`
		Status       int      `json:"status"`
		CSP          string   `json:"csp"`
		LockoutRows  []string `json:"lockoutRows"`
		Dialog       string   `json:"dialog"`
		UnlockMsg    string   `json:"unlockMessage"`
		LockoutAfter []string `json:"lockoutRowsAfter"`
		Charts       struct {
			Total    int      `json:"total"`
			Canvases []int    `json:"canvases"`
			Legends  []string `json:"legends"`
		} `json:"charts"`
		Filters struct {
			All          []string `json:"all"`
			SignInFailed []string `json:"signInFailed"`
			AdminAccount []string `json:"adminAccount"`
			UntilLongAgo []string `json:"untilLongAgo"`
		} `json:"filters"`
		Detail struct {
			Fields map[string]string `json:"fields"`
			ByIP   int               `json:"byIP"`
		} `json:"detail"`
		Doctor []string `json:"doctor"`
		Phone  struct {
			ScrollWidth int `json:"scrollWidth"`
			Width       int `json:"width"`
		} `json:"phone"`
		CSPGroups []struct {
			Directive string `json:"directive"`
			Blocked   string `json:"blocked"`
			Count     string `json:"count"`
		} `json:"cspGroups"`
		Violations    []browserViolation `json:"violations"`
		ConsoleErrors []string           `json:"consoleErrors"`
		PageErrors    []string           `json:"pageErrors"`
	} `json:"admin"`
}

type refusal struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Body   string `json:"body"`
}

// TestConsoleInChromium drives the operator console in headless Chromium
// through a real Caddy in front of real better-auth: anonymous and
// non-admin clients get 403 JSON and no data; an admin's page loads with
// no CSP violation, shows the lockout made through the edge, charts the
// real sign-in failures, narrows the event list with filters, shows an
// event in full, unlocks the account (audited as the admin's action) and
// fits a phone. It saves docs/console.png when OCOMMS_CONSOLE_SHOT=1.
func TestConsoleInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts better-auth, Caddy and Chromium")
	}
	chromium := chromiumPath(t)
	e := edgetest.New(t)
	db := testsupport.TempDatabase(t, "ocomms_console")
	app := nodeapp.Start(t, "console", nodeapp.Options{
		Args: []string{"server.mjs"},
		Env:  []string{"DATABASE_URL=" + db, "BA_BASE_URL=" + strings.TrimSuffix(e.URL(""), "/")},
	})
	e.Load(t, consoleEdgeCaddyfile, "{APP}", app.URL(), "{APP_HOST}", app.Addr())
	origin := strings.TrimSuffix(e.URL(""), "/")

	post := func(path, body string) int {
		req, _ := http.NewRequest(http.MethodPost, e.URL(path), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		resp, err := e.Client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	const (
		adminEmail  = "ops@console.test"
		userEmail   = "member@console.test"
		victimEmail = "victim@console.test"
		password    = "Correct-Horse-Battery-9"
	)
	for _, u := range []string{adminEmail, userEmail, victimEmail} {
		if st := post("/api/auth/sign-up/email", `{"email":"`+u+`","password":"`+password+`","name":"`+strings.Split(u, "@")[0]+`"}`); st != 200 {
			t.Fatalf("sign-up %s: %d", u, st)
		}
	}
	resp, err := http.Post(app.URL()+"/__test/make-admin?email="+adminEmail, "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("make-admin: %v %v", resp, err)
	}
	resp.Body.Close()
	signIn := func(email, pw string) int {
		return post("/api/auth/sign-in/email", `{"email":"`+email+`","password":"`+pw+`"}`)
	}
	for i := range 4 {
		signIn(victimEmail, "wrong-password-"+string(rune('a'+i)))
	}
	if st := signIn(victimEmail, password); st == 200 {
		t.Fatal("the victim's account did not lock")
	}
	// CSP reports, as a new app release that loads a script from a CDN
	// would have the browsers send.
	for i, blocked := range []string{"https://cdn.example/widget.js", "https://cdn.example/widget.js", "inline"} {
		req, _ := http.NewRequest(http.MethodPost, e.URL("/csp-report"), strings.NewReader(`{"csp-report":{"document-uri":"`+origin+`/chat/`+string(rune('1'+i))+`","effective-directive":"script-src-elem","violated-directive":"script-src-elem","blocked-uri":"`+blocked+`","disposition":"enforce"}}`))
		req.Header.Set("Content-Type", "application/csp-report")
		resp, err := e.Client.Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("CSP report: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	// Wait until the failures are in the audit log the console reads.
	dir := filepath.Join(e.Dir, "audit")
	for deadline := time.Now().Add(20 * time.Second); ; {
		n := 0
		for _, ev := range audittest.ReadAuditEvents(t, dir) {
			if ev.Action == secevent.ActionSignInFailed {
				n++
			}
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sign_in_failed events in the audit log", n)
		}
		time.Sleep(100 * time.Millisecond)
	}

	shot := filepath.Join(t.TempDir(), "console.png")
	if os.Getenv("OCOMMS_CONSOLE_SHOT") == "1" {
		shot, _ = filepath.Abs(filepath.Join("..", "docs", "console.png"))
	}
	rep := runConsoleCheck(t, chromium, origin, "/ops/console", []string{
		"ADMIN_EMAIL=" + adminEmail, "ADMIN_PASSWORD=" + password, "USER_EMAIL=" + userEmail, "USER_PASSWORD=" + password,
		"VICTIM_EMAIL=" + victimEmail, "SHOT=" + shot,
	})

	// Anonymous and non-admin: 403 JSON everywhere, no data.
	for who, got := range map[string]map[string]json.RawMessage{"anonymous": rep.Anonymous, "non-admin": rep.NonAdmin} {
		for _, p := range []string{"page", "api/lockouts", "api/events", "api/series?window=hour", "assets/console.js"} {
			var r refusal
			if err := json.Unmarshal(got[p], &r); err != nil {
				t.Fatalf("%s %s: %v", who, p, err)
			}
			if r.Status != 403 || !strings.HasPrefix(r.Type, "application/json") || !strings.Contains(r.Body, `"code":"FORBIDDEN"`) {
				t.Errorf("%s %s: %+v", who, p, r)
			}
			if strings.Contains(r.Body, "sign_in_failed") || strings.Contains(r.Body, "console.test") {
				t.Errorf("%s %s: data in a refusal: %s", who, p, r.Body)
			}
		}
	}
	if string(rep.NonAdmin["signIn"]) != "200" {
		t.Errorf("the non-admin did not sign in: %s", rep.NonAdmin["signIn"])
	}

	a := rep.Admin
	if a.SignIn != 200 || a.Status != 200 {
		t.Fatalf("admin sign-in %d, page %d", a.SignIn, a.Status)
	}
	if len(a.Violations) != 0 || len(a.PageErrors) != 0 || slices.ContainsFunc(a.ConsoleErrors, func(s string) bool { return strings.Contains(s, "Content Security Policy") }) {
		t.Errorf("CSP violations %+v, page errors %v, console errors %v", a.Violations, a.PageErrors, a.ConsoleErrors)
	}
	if !strings.Contains(a.CSP, "'nonce-") && !strings.Contains(a.CSP, "script-src 'self'") {
		t.Errorf("the page was served without a strict CSP: %q", a.CSP)
	}
	if len(a.LockoutRows) != 1 || !strings.Contains(a.LockoutRows[0], victimEmail) || !strings.Contains(a.LockoutRows[0], "locked") {
		t.Errorf("lockout rows: %q", a.LockoutRows)
	}
	if a.Charts.Total < 7 || !slices.Equal(a.Charts.Canvases, []int{1, 1, 1, 1}) || !slices.Contains(a.Charts.Legends, "sign_in_failed") {
		t.Errorf("charts: %+v", a.Charts)
	}
	if len(a.CSPGroups) != 2 || a.CSPGroups[0].Blocked != "https://cdn.example/widget.js" || a.CSPGroups[0].Count != "2" || a.CSPGroups[1].Blocked != "inline" {
		t.Errorf("CSP groups: %+v", a.CSPGroups)
	}
	if !slices.ContainsFunc(a.Doctor, func(s string) bool { return strings.HasPrefix(s, "console") && strings.Contains(s, "/ops/console") }) {
		t.Errorf("doctor rows: %q", a.Doctor)
	}
	f := a.Filters
	if len(f.SignInFailed) < 3 || len(f.SignInFailed) >= len(f.All) || slices.ContainsFunc(f.SignInFailed, func(s string) bool { return s != "sign_in_failed" }) {
		t.Errorf("type filter: all %v, sign_in_failed %v", f.All, f.SignInFailed)
	}
	if len(f.AdminAccount) == 0 || len(f.AdminAccount) >= len(f.All) || slices.Contains(f.AdminAccount, "sign_in_failed") {
		t.Errorf("account filter: all %v, admin's %v", f.All, f.AdminAccount)
	}
	if len(f.UntilLongAgo) != 0 {
		t.Errorf("until 2001: %v", f.UntilLongAgo)
	}
	if a.Detail.Fields["event.action"] != "sign_in_failed" || a.Detail.Fields["source.ip"] != "127.0.0.1" || a.Detail.Fields["user.hash"] == "" || a.Detail.ByIP == 0 {
		t.Errorf("detail: %+v", a.Detail)
	}
	for k, v := range a.Detail.Fields {
		if strings.Contains(v, "console.test") || strings.Contains(v, "wrong-password") {
			t.Errorf("detail field %s shows %q", k, v)
		}
	}
	if !strings.Contains(a.Dialog, victimEmail) || !strings.HasPrefix(a.UnlockMsg, "Unlocked") {
		t.Errorf("unlock: dialog %q, message %q", a.Dialog, a.UnlockMsg)
	}
	if len(a.LockoutAfter) != 1 || !strings.Contains(a.LockoutAfter[0], "No failures or lock") {
		t.Errorf("lockouts after the unlock: %q", a.LockoutAfter)
	}
	if a.Phone.ScrollWidth > a.Phone.Width {
		t.Errorf("on a phone the page is %d px wide for a %d px screen", a.Phone.ScrollWidth, a.Phone.Width)
	}

	// The unlock worked and is in the audit log as the admin's action.
	if st := signIn(victimEmail, password); st != 200 {
		t.Errorf("the victim cannot sign in after the unlock: %d", st)
	}
	var unlock *secevent.Event
	for deadline := time.Now().Add(20 * time.Second); unlock == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, ev := range audittest.ReadAuditEvents(t, dir) {
			if ev.Action == secevent.ActionAdmin && ev.Labels["via"] == "console" {
				unlock = &ev
			}
		}
	}
	if unlock == nil || unlock.UserEmail != adminEmail || unlock.UserID == "" || unlock.Labels["operation"] != "unlock" || unlock.Labels["had_state"] != "true" || (unlock.SourceIP != "127.0.0.1" && unlock.SourceIP != "::1") {
		t.Errorf("the unlock's audit event: %+v", unlock)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
}

// runConsoleCheck runs testapps/console/browser-check.mjs.
func runConsoleCheck(t *testing.T, chromium, base, prefix string, env []string) consoleReport {
	t.Helper()
	var rep consoleReport
	out := runBrowserScript(t, "console", chromium, env, &rep, base, prefix)
	t.Logf("browser report: %s", out)
	return rep
}
