package auditmod_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/caddymodule/auditmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/secevent"
)

func TestAuditQueriesThroughAdminAPIAndCLI(t *testing.T) {
	e := startAuditEdge(t)
	cookie := e.demoSession(t)
	e.post(t, "/api/admin/export", "application/json", `{"organizationId":"org-7"}`, "Cookie", cookie.String())
	e.post(t, "/api/admin/export", "application/json", `{}`)
	e.exceedTight(t)
	events := modtest.WaitAudit(t, e.dir, 2, modtest.OfAction(secevent.ActionAdmin))
	var user string
	for _, ev := range events {
		if ev.UserID != "" {
			user = ev.UserID
		}
	}
	modtest.WaitAudit(t, e.dir, 1, modtest.OfAction(secevent.ActionRateLimited))

	// Admin API: filters combine; the page is newest first, ECS documents.
	var page struct {
		Events []map[string]any `json:"events"`
		Next   string           `json:"next"`
	}
	q := url.Values{"type": {"admin_action"}, "user": {user}}
	if st := adminGet(t, e, "/ocomms/audit/events?"+q.Encode(), &page); st != 200 || len(page.Events) != 1 {
		t.Fatalf("events by user: %d, %d events", st, len(page.Events))
	}
	doc := page.Events[0]
	if doc["user"].(map[string]any)["id"] != user || doc["source"].(map[string]any)["ip"] != "127.0.0.1" {
		t.Errorf("ECS document %v", doc)
	}
	q = url.Values{"type": {"admin_action"}, "outcome": {"failure"}, "ip": {"127.0.0.0/8"}}
	if st := adminGet(t, e, "/ocomms/audit/events?"+q.Encode(), &page); st != 200 || len(page.Events) != 1 {
		t.Fatalf("failed admin actions from 127/8: %d, %d events", st, len(page.Events))
	}
	// Keyset pages.
	if st := adminGet(t, e, "/ocomms/audit/events?limit=1", &page); st != 200 || len(page.Events) != 1 || page.Next == "" {
		t.Fatalf("first page: %d %d %q", st, len(page.Events), page.Next)
	}
	firstID := page.Events[0]["event"].(map[string]any)["id"]
	if st := adminGet(t, e, "/ocomms/audit/events?limit=1&after="+url.QueryEscape(page.Next), &page); st != 200 || len(page.Events) != 1 ||
		page.Events[0]["event"].(map[string]any)["id"] == firstID {
		t.Fatalf("second page: %d %v", st, page.Events)
	}
	var ips struct {
		IPs []auditmod.PivotJSON `json:"ips"`
	}
	if st := adminGet(t, e, "/ocomms/audit/ips-for-account?account="+url.QueryEscape(demoupstream.DemoEmail), &ips); st != 200 ||
		len(ips.IPs) != 1 || ips.IPs[0].Value != "127.0.0.1" {
		t.Fatalf("ips for account: %d %+v", st, ips)
	}
	var accounts struct {
		Accounts []auditmod.PivotJSON `json:"accounts"`
	}
	if st := adminGet(t, e, "/ocomms/audit/accounts-from-ip?ip=127.0.0.1", &accounts); st != 200 || len(accounts.Accounts) == 0 {
		t.Fatalf("accounts from ip: %d %+v", st, accounts)
	}
	for path, want := range map[string]int{
		"/ocomms/audit/events?ip=nonsense":       400,
		"/ocomms/audit/events?type=drop_table":   400,
		"/ocomms/audit/events?limit=99999":       400,
		"/ocomms/audit/accounts-from-ip":         400,
		"/ocomms/audit/ips-for-account":          400,
		"/ocomms/audit/events?since=last+monday": 400,
	} {
		if st := adminGet(t, e, path, nil); st != want {
			t.Errorf("%s: %d, want %d", path, st, want)
		}
	}
	resp, err := http.Post("http://"+e.AdminAddr+"/ocomms/audit/events", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST events: %d", resp.StatusCode)
	}

	// CLI through the admin API.
	out, err := runCLI(t, "query", "--address", e.AdminAddr, "--type", "admin_action", "--user", user)
	if err != nil || !strings.Contains(out, demoupstream.DemoEmail) || !strings.Contains(out, "1 events") {
		t.Fatalf("query --address: %v\n%s", err, out)
	}
	out, err = runCLI(t, "query", "--address", e.AdminAddr, "--ips-for-account", demoupstream.DemoEmail)
	if err != nil || !strings.Contains(out, "127.0.0.1") {
		t.Fatalf("query --address --ips-for-account: %v\n%s", err, out)
	}

	// CLI on the files, offline.
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, "query", "--jsonl", e.dir, "--type", "admin_action")
	if err != nil || !strings.Contains(out, "ACTION") || strings.Count(out, "admin_action") != 2 || !strings.Contains(out, "/api/admin/export") {
		t.Fatalf("query table: %v\n%s", err, out)
	}
	t.Log("\n" + out)
	out, err = runCLI(t, "query", "--jsonl", e.dir, "--type", "rate_limited", "--json")
	var pj auditmod.AuditPageJSON
	if err != nil || json.Unmarshal([]byte(out), &pj) != nil || len(pj.Events) != 1 {
		t.Fatalf("query --json: %v\n%s", err, out)
	}
	out, err = runCLI(t, "query", "--jsonl", e.dir, "--accounts-from-ip", "127.0.0.1")
	if err != nil || !strings.Contains(out, demoupstream.DemoEmail) {
		t.Fatalf("--accounts-from-ip: %v\n%s", err, out)
	}
	out, err = runCLI(t, "query", "--jsonl", e.dir, "--failed-signins", demoupstream.DemoEmail)
	if err != nil || !strings.Contains(out, "0 events") {
		t.Fatalf("--failed-signins: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "query", "--jsonl", e.dir, "--ip", "not-an-ip"); err == nil {
		t.Error("a bad --ip was accepted")
	}
}
