package caddymodule

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/doctor"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// doctorSite is a site served with a certificate from a test CA, so the
// doctor's chain, expiry and renewal checks have something real to judge.
// {MODULES} is where the edge's directives go.
var doctorSite = modtest.EdgeCaddyfile(`localhost {
	tls {DIR}/cert.pem {DIR}/key.pem
{MODULES}
	reverse_proxy {UPSTREAM}
}
`, modtest.AdminAPI, modtest.FileStorage)

// startDoctorEdge runs Caddy with modules in front of the demo upstream
// and returns the edge and the path of the CA file.
func startDoctorEdge(t *testing.T, modules string) (*edgetest.Edge, string) {
	t.Helper()
	return startDoctorEdgeWith(t, demoupstream.NewHandler(demoupstream.Options{PollHold: 50 * time.Millisecond}), modules)
}

// startDoctorEdgeWith is startDoctorEdge in front of app.
func startDoctorEdgeWith(t *testing.T, app http.Handler, modules string) (*edgetest.Edge, string) {
	t.Helper()
	e := modtest.NewEdge(t)
	ca := testsupport.NewCA(t)
	leaf := ca.IssueFor(t, 24*time.Hour, 90*24*time.Hour)
	e.WriteFile(t, "cert.pem", string(leaf.CertPEM))
	e.WriteFile(t, "key.pem", string(leaf.KeyPEM))
	caFile := e.WriteFile(t, "ca.pem", string(ca.PEM))
	e.Load(t, doctorSite, "{UPSTREAM}", modtest.Serve(t, app), "{MODULES}", modules)
	return e, caFile
}

// runDoctorCommand runs `caddy ocomms doctor` with args and returns its
// output and error.
func runDoctorCommand(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return modtest.RunCommand(t, doctorCommand(), args...)
}

// doctorArgs are the flags pointing the doctor at e.
func doctorArgs(e *edgetest.Edge, caFile string, extra ...string) []string {
	return append([]string{
		"--url", e.URL(""), "--http-url", e.HTTPURL("/"), "--admin", e.AdminAddr, "--cacert", caFile,
		"--redis=", "--postgres=", "--app-database-url=",
	}, extra...)
}

// TestDoctorAllPassThroughCaddy: the edge with ocomms_headers and
// ocomms_rate_limit in front of the demo OComms passes every check that
// runs, 429 included, and the command exits 0.
func TestDoctorAllPassThroughCaddy(t *testing.T) {
	e, caFile := startDoctorEdge(t, "\tocomms_headers ocomms\n\tocomms_rate_limit ocomms")
	args := doctorArgs(e, caFile, "--provoke-429", "--json")
	if c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second); err == nil {
		c.Close()
		args = append(args, "--redis", "redis://127.0.0.1:6379")
	}
	out, err := runDoctorCommand(t, args...)
	if err != nil {
		t.Fatalf("doctor failed (%v):\n%s", err, out)
	}
	var r doctor.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, name := range []string{"redirect", "headers /", "headers error page", "headers 429", "tls chain", "tls expiry", "tls renewal", "admin api", "upstreams"} {
		c, ok := r.Find(name)
		if !ok || c.Status != doctor.Pass {
			t.Errorf("%s: %s %q (fix %q)", name, c.Status, c.Detail, c.Fix)
		}
	}
	if c, _ := r.Find("headers 429"); !strings.Contains(c.Detail, "429 after 11 attempts") {
		t.Errorf("429 provoked after an unexpected number of attempts: %q", c.Detail)
	}
	// The audit log is on by default (embedded JSONL), so its stats are
	// there to judge even without an ocomms_audit directive.
	if c, _ := r.Find("audit queue"); c.Status != doctor.Pass || !strings.Contains(c.Detail, "backlog") {
		t.Errorf("audit queue of the default audit log: %s %q", c.Status, c.Detail)
	}
	if !r.OK || r.Summary[doctor.Fail] != 0 {
		t.Fatalf("report not OK: %+v", r.Summary)
	}
}

// TestDoctorBareCaddyFails: stock Caddy with only reverse_proxy fails the
// header and rate-limit checks, each with its fix, and the command
// returns the failure error (exit code 1 from caddy's main).
func TestDoctorBareCaddyFails(t *testing.T) {
	e, caFile := startDoctorEdge(t, "")
	out, err := runDoctorCommand(t, doctorArgs(e, caFile, "--provoke-429")...)
	if !errors.Is(err, errDoctorFailed) {
		t.Fatalf("err = %v, want errDoctorFailed\n%s", err, out)
	}
	for _, want := range []string{
		"PASS  redirect",
		"FAIL  headers /",
		"no Content-Security-Policy",
		"no Strict-Transport-Security",
		"fix: put `ocomms_headers ocomms` in the site block",
		"FAIL  headers error page",
		"FAIL  headers 429",
		"no 429 after 60 failing sign-ins",
		"fix: put `ocomms_rate_limit ocomms` in the site block",
		"PASS  tls chain",
		"FAILED:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

func TestDoctorCommandUsageErrors(t *testing.T) {
	t.Setenv("OCOMMS_SITE", "")
	if _, err := runDoctorCommand(t, "--admin="); err == nil || !strings.Contains(err.Error(), "no site URL") {
		t.Fatalf("no URL: %v", err)
	}
	if _, err := runDoctorCommand(t, "--url", "https://localhost", "--cacert", "/nonexistent.pem"); err == nil || !strings.Contains(err.Error(), "--cacert") {
		t.Fatalf("bad cacert: %v", err)
	}
}

func TestDoctorCommandRegistered(t *testing.T) {
	found := false
	for _, c := range modkit.OcommsSubcommands() {
		found = found || c.Name() == "doctor"
	}
	if !found {
		t.Fatal("doctor is not a subcommand of `caddy ocomms`")
	}
}
