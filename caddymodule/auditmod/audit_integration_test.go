package auditmod_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/secevent"
)

func TestAuditAdminActionThroughCaddy(t *testing.T) {
	e := startAuditEdge(t)
	cookie := e.demoSession(t)
	resp := e.post(t, "/api/admin/export", "application/json", `{"organizationId":"org-42"}`, "Cookie", cookie.String(), "User-Agent", "audit-test")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	var body struct {
		RequestedBy struct{ ID, Email string }
	}
	edgetest.DecodeJSON(t, resp, &body)
	if body.RequestedBy.ID == "" {
		t.Fatal("upstream did not see the session")
	}
	denied := e.post(t, "/api/admin/export", "application/json", `{}`)
	if denied.StatusCode != http.StatusUnauthorized {
		t.Fatalf("export without a session: %d", denied.StatusCode)
	}
	// Not admin actions: nothing recorded.
	e.Get(t, "/chat", "Cookie", cookie.String())
	e.post(t, "/chat", "text/plain", "[]", "Next-Action", "abc", "Cookie", cookie.String())

	events := modtest.WaitAudit(t, e.dir, 2, modtest.OfAction(secevent.ActionAdmin))
	if len(events) != 2 {
		t.Fatalf("%d admin events, want 2: %+v", len(events), events)
	}
	ok, fail := events[0], events[1]
	if ok.Outcome != secevent.OutcomeSuccess {
		ok, fail = fail, ok
	}
	if ok.UserID != body.RequestedBy.ID || ok.UserEmail != demoupstream.DemoEmail || ok.SourceIP != "127.0.0.1" ||
		ok.Outcome != secevent.OutcomeSuccess || ok.Status != 200 || ok.Labels["resource"] != "admin.export" ||
		ok.Labels["organization_id"] != "org-42" || ok.UserAgent != "audit-test" || ok.Instance != "test-edge" || ok.Sequence == 0 {
		t.Errorf("admin event %+v", ok)
	}
	if fail.UserID != "" || fail.Labels["actor"] != "anonymous" || fail.Outcome != secevent.OutcomeFailure || fail.Status != 401 || fail.SourceIP != "127.0.0.1" {
		t.Errorf("denied admin event %+v", fail)
	}
	// The cookie is in no stored byte.
	checkAuditFilesLack(t, e.dir, "the session cookie", cookie.Value, strings.SplitN(cookie.Value, ".", 2)[0])
}

func TestAuditRateLimitedCSPAndConfigThroughCaddy(t *testing.T) {
	e := startAuditEdge(t)
	e.Get(t, "/tight?token=secret")
	if resp := e.Get(t, "/tight?token=secret"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second request: %d", resp.StatusCode)
	}
	report := `{"csp-report":{"document-uri":"https://localhost/reset-password?token=SECRET","violated-directive":"script-src-elem",` +
		`"effective-directive":"script-src-elem","disposition":"enforce","blocked-uri":"https://evil.example/x.js?session=abc","status-code":200}}`
	if resp := e.post(t, "/csp-report", "application/csp-report", report); resp.StatusCode >= 300 {
		t.Fatalf("csp report: %d", resp.StatusCode)
	}

	limited := modtest.WaitAudit(t, e.dir, 1, modtest.OfAction(secevent.ActionRateLimited))
	if len(limited) != 1 {
		t.Fatalf("%d rate_limited events: %+v", len(limited), limited)
	}
	if l := limited[0]; l.Labels["zone"] != "tight" || l.SourceIP != "127.0.0.1" || l.Path != "/tight" || l.Status != 429 || l.Outcome != secevent.OutcomeFailure {
		t.Errorf("rate_limited event %+v", l)
	}
	csp := modtest.WaitAudit(t, e.dir, 1, modtest.OfAction(secevent.ActionCSPViolation))
	if len(csp) != 1 {
		t.Fatalf("%d csp_violation events: %+v", len(csp), csp)
	}
	if c := csp[0]; c.Labels["directive"] != "script-src-elem" || c.Labels["blocked_uri"] != "https://evil.example/x.js" || c.SourceIP != "127.0.0.1" {
		t.Errorf("csp_violation event %+v", c)
	}
	loaded := modtest.WaitAudit(t, e.dir, 1, modtest.OfAction(secevent.ActionConfigLoaded))
	if len(loaded) != 1 || loaded[0].Outcome != secevent.OutcomeSuccess {
		t.Fatalf("configuration_loaded events %+v", loaded)
	}
	// local_certs issues localhost's certificate at start.
	certs := modtest.WaitAudit(t, e.dir, 1, modtest.OfAction(secevent.ActionCertObtained))
	if len(certs) < 1 || certs[0].Labels["subjects"] == "" {
		t.Fatalf("certificate_obtained events %+v", certs)
	}
	checkAuditFilesLack(t, e.dir, "a query secret", "SECRET", "token=secret", "session=abc")
}
