package auditmod_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/secevent"
)

// auditGuardCaddyfile puts the auth guard (lockout after 2) in front of
// the demo upstream, with ocomms_audit naming users.
var auditGuardCaddyfile = modtest.SiteCaddyfile(`localhost {
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
`, modtest.AuditJSONL)

// TestAuditSignInEventsThroughCaddy: a failed and a successful sign-in and
// a lockout each produce exactly one event, with the user, the client IP
// and the outcome; nothing is logged twice.
func TestAuditSignInEventsThroughCaddy(t *testing.T) {
	ae := startAuditEdgeWith(t, auditGuardCaddyfile)
	signIn := func(password string) int {
		resp := ae.post(t, "/api/auth/sign-in/email", "application/json",
			`{"email":"`+demoupstream.DemoEmail+`","password":"`+password+`"}`, "Origin", "https://"+strings.TrimPrefix(ae.URL(""), "https://"))
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
	for _, ev := range audittest.ReadAuditEvents(t, ae.dir) {
		if ev.Action == secevent.ActionAdmin {
			t.Errorf("a sign-in recorded as an admin action: %+v", ev)
		}
		if strings.Contains(ev.Reason+ev.Path+ev.UserAgent, "wrong password") {
			t.Errorf("a password reached the log: %+v", ev)
		}
	}
	checkAuditFilesLack(t, ae.dir, "a password", "wrong password", demoupstream.DefaultPassword)
	for _, l := range ok[0].Labels {
		if strings.Contains(l, "session_token") {
			t.Errorf("a cookie reached the log: %v", ok[0].Labels)
		}
	}
}
