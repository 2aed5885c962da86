package auditmod_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/jackc/pgx/v5"

	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// auditPostgresCaddyfile is auditCaddyfile that also writes to the
// PostgreSQL at $OCOMMS_TEST_PG_URL.
var auditPostgresCaddyfile = auditCaddyfileWith("postgres {env.OCOMMS_TEST_PG_URL}")

// TestAuditPostgresThroughCaddy: with postgres configured, an admin action
// lands in PostgreSQL (and the JSONL files), the admin API queries and
// verifies PostgreSQL, and the CLI reads it directly.
func TestAuditPostgresThroughCaddy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	dbURL := testsupport.TempDatabase(t, "auditwire")
	t.Setenv("OCOMMS_TEST_PG_URL", dbURL)
	ae := startAuditEdgeWith(t, auditPostgresCaddyfile)
	if strings.Contains(string(ae.JSON), "postgres://") {
		t.Fatal("the connection string is in the loaded config")
	}
	cookie := ae.demoSession(t)
	ae.post(t, "/api/admin/export", "application/json", `{"organizationId":"org-pg"}`, "Cookie", cookie.String())
	modtest.WaitAudit(t, ae.dir, 1, modtest.OfAction(secevent.ActionAdmin))

	var page struct {
		Events []map[string]any `json:"events"`
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		adminGet(t, ae, "/ocomms/audit/events?type=admin_action&email="+url.QueryEscape(demoupstream.DemoEmail), &page)
		if len(page.Events) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(page.Events) != 1 {
		t.Fatalf("admin API over postgres: %d events", len(page.Events))
	}
	var res setup.VerifyResult
	if st := adminGet(t, ae, "/ocomms/audit/verify", &res); st != 200 || !res.OK || res.Store != "postgres" || res.Records < 2 {
		t.Fatalf("verify over postgres: %d %+v", st, res)
	}
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "query", "--postgres", dbURL, "--type", "admin_action")
	if err != nil || !strings.Contains(out, demoupstream.DemoEmail) || !strings.Contains(out, "1 events") {
		t.Fatalf("query --postgres: %v\n%s", err, out)
	}
	pub := audittest.PublicKeyFile(t, ae.dir)
	if out, err := runCLI(t, "verify", "--postgres", dbURL, "--public-key", pub); err != nil || !strings.Contains(out, "OK:") {
		t.Fatalf("verify --postgres: %v\n%s", err, out)
	}
	c, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE instance = 'test-edge'").Scan(&n); err != nil || n < 2 {
		t.Errorf("rows in postgres: %d %v", n, err)
	}
}

// TestAuditPostgresDownOrRefused: a config whose PostgreSQL is down loads
// (nothing dials at load) and keeps recording to the JSONL files; a
// clear-text URL to a remote host is refused at load, without its password.
func TestAuditPostgresDownOrRefused(t *testing.T) {
	ae := newAuditEdge(t)
	down := "postgres://postgres:pw@127.0.0.1:" + itoa(testsupport.FreePort(t)) + "/audit?sslmode=disable"
	t.Setenv("OCOMMS_TEST_PG_URL", down)
	ae.Load(t, auditPostgresCaddyfile, ae.upstreamArgs()...)
	ae.exceedTight(t)
	if got := modtest.WaitAudit(t, ae.dir, 1, modtest.OfAction(secevent.ActionRateLimited)); len(got) != 1 {
		t.Fatalf("%d rate_limited events with postgres down", len(got))
	}

	t.Setenv("OCOMMS_TEST_PG_URL", "postgres://edge:hunter2@db.example.com:5432/audit?sslmode=disable")
	err := ae.TryLoad(t, auditPostgresCaddyfile, ae.upstreamArgs()...)
	if err == nil {
		t.Fatal("clear text to a remote PostgreSQL was accepted")
	}
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "verify-full") {
		t.Fatalf("refusal: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
