package auditmod_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/secevent"
)

const auditGuardCaddyfile = `{
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
			threshold 2
		}
	}
	ocomms_audit {
		session_url {UPSTREAM}/api/auth/get-session
	}
	reverse_proxy {UPSTREAM_HOST}
}
`

// TestAuditSignInEventsThroughCaddy: a failed and a successful sign-in and
// a lockout each produce exactly one event, with the user, the client IP
// and the outcome; nothing is logged twice.
func TestAuditSignInEventsThroughCaddy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	app := demoupstream.NewHandler(demoupstream.Options{PollHold: 50e6})
	up := httptest.NewServer(app)
	t.Cleanup(up.Close)
	e := edgetest.New(t)
	e.Load(t, auditGuardCaddyfile, "{UPSTREAM}", up.URL, "{UPSTREAM_HOST}", strings.TrimPrefix(up.URL, "http://"))
	ae := &auditEdge{Edge: e, app: app, dir: filepath.Join(e.Dir, "audit"), up: up.URL}
	signIn := func(password string) int {
		resp := ae.post(t, "/api/auth/sign-in/email", "application/json",
			`{"email":"`+demoupstream.DemoEmail+`","password":"`+password+`"}`, "Origin", "https://"+strings.TrimPrefix(e.URL(""), "https://"))
		return resp.StatusCode
	}
	if st := signIn(demoupstream.DefaultPassword); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}
	ok := modtest.WaitAudit(t, ae.dir, 1, modtest.OfAction(secevent.ActionSignInSucceeded))
	if len(ok) != 1 || ok[0].UserEmail != demoupstream.DemoEmail || ok[0].SourceIP != "127.0.0.1" || ok[0].Outcome != secevent.OutcomeSuccess {
		t.Fatalf("sign_in_succeeded events %+v", ok)
	}
	if st := signIn("wrong password one"); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
	failed := modtest.WaitAudit(t, ae.dir, 1, modtest.OfAction(secevent.ActionSignInFailed))
	if len(failed) != 1 || failed[0].UserEmail != demoupstream.DemoEmail || failed[0].SourceIP != "127.0.0.1" || failed[0].Outcome != secevent.OutcomeFailure {
		t.Fatalf("sign_in_failed events %+v", failed)
	}
	for i := 0; i < 3; i++ {
		signIn("wrong password again")
	}
	locked := modtest.WaitAudit(t, ae.dir, 1, modtest.OfAction(secevent.ActionAccountLocked))
	if len(locked) != 1 || locked[0].UserEmail != demoupstream.DemoEmail {
		t.Fatalf("account_locked events %+v", locked)
	}
	for _, ev := range modtest.ReadAuditDir(t, ae.dir) {
		if ev.Action == secevent.ActionAdmin {
			t.Errorf("a sign-in recorded as an admin action: %+v", ev)
		}
		if strings.Contains(ev.Reason+ev.Path+ev.UserAgent, "wrong password") {
			t.Errorf("a password reached the log: %+v", ev)
		}
	}
	files, _ := filepath.Glob(filepath.Join(ae.dir, "audit-*.jsonl"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if strings.Contains(string(data), "wrong password") || strings.Contains(string(data), demoupstream.DefaultPassword) {
			t.Fatalf("%s holds a password", f)
		}
	}
	for _, l := range ok[0].Labels {
		if strings.Contains(l, "session_token") {
			t.Errorf("a cookie reached the log: %v", ok[0].Labels)
		}
	}
}
