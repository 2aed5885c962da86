package caddymodule

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// The audit tests' edge: the demo upstream behind headers, a tight rate
// limit zone and ocomms_audit, recording to <Dir>/audit, and what they do
// with it (requests, waiting for events, the admin API, the CLI).

// auditSite is the site of auditCaddyfile.
const auditSite = `localhost {
	ocomms_headers
	ocomms_rate_limit none {
		zone tight {
			match {
				path /tight
			}
			rate 1/1m
			key client_ip
		}
	}
	ocomms_audit {
		session_url {UPSTREAM}/api/auth/get-session
		admin_paths /admin*
	}
	reverse_proxy {UPSTREAM_HOST}
}
`

// auditCaddyfile is the audit tests' edge, its chain named test-edge.
var auditCaddyfile = auditCaddyfileWith()

// auditCaddyfileWith is auditCaddyfile with more lines in its audit block.
func auditCaddyfileWith(lines ...string) string {
	return siteCaddyfile(auditSite, auditJSONLWith(append([]string{"instance test-edge"}, lines...)...))
}

// auditEdge is a running edge in front of the demo upstream, recording into
// <Dir>/audit.
type auditEdge struct {
	*edgetest.Edge
	app *demoupstream.Handler
	dir string
	up  string
}

// newAuditEdge prepares an edge in front of a new demo upstream, not yet
// loaded.
func newAuditEdge(t *testing.T) *auditEdge {
	t.Helper()
	app := demoupstream.NewHandler(demoupstream.Options{PollHold: 50e6})
	up := "http://" + serve(t, app)
	e := newEdge(t)
	return &auditEdge{Edge: e, app: app, dir: filepath.Join(e.Dir, "audit"), up: up}
}

// startAuditEdge is an edge running auditCaddyfile.
func startAuditEdge(t *testing.T) *auditEdge { return startAuditEdgeWith(t, auditCaddyfile) }

// startAuditEdgeWith is an edge running caddyfile, whose {UPSTREAM} and
// {UPSTREAM_HOST} name the demo upstream.
func startAuditEdgeWith(t *testing.T, caddyfile string) *auditEdge {
	t.Helper()
	e := newAuditEdge(t)
	e.Load(t, caddyfile, e.upstreamArgs()...)
	return e
}

// upstreamArgs expand {UPSTREAM} (URL) and {UPSTREAM_HOST} (host:port) to
// the demo upstream, for Load and TryLoad.
func (e *auditEdge) upstreamArgs() []string {
	return []string{"{UPSTREAM}", e.up, "{UPSTREAM_HOST}", strings.TrimPrefix(e.up, "http://")}
}

// post sends a POST with a Content-Type (unless "") and header pairs; the
// body is closed when the test ends.
func (e *auditEdge) post(t *testing.T, path, contentType, body string, header ...string) *http.Response {
	t.Helper()
	resp, err := e.Client.Do(newRequest(t, http.MethodPost, e.URL(path), contentType, strings.NewReader(body), header...))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// exceedTight requests /tight twice and fails unless the zone (1/1m)
// refuses the second request with 429.
func (e *auditEdge) exceedTight(t *testing.T) {
	t.Helper()
	e.Get(t, "/tight")
	if resp := e.Get(t, "/tight"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second request: %d", resp.StatusCode)
	}
}

// waitAudit waits until want events match, then lets the pipeline settle
// and returns every match, so that a duplicate shows.
func waitAudit(t *testing.T, dir string, want int, match func(secevent.Event) bool) []secevent.Event {
	t.Helper()
	audittest.WaitAuditEvents(t, dir, want, 10*time.Second, match)
	time.Sleep(400 * time.Millisecond) // several fsync periods
	return audittest.WaitAuditEvents(t, dir, want, 0, match)
}

// ofAction matches the events of action a (audittest.OfAction).
var ofAction = audittest.OfAction

// checkAuditFilesLack fails the test when an audit JSONL file in dir
// holds any of secrets, which what names.
func checkAuditFilesLack(t *testing.T, dir, what string, secrets ...string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Fatalf("%s holds %s", f, what)
			}
		}
	}
}

// adminGet asks the edge's admin API and decodes the JSON answer.
func adminGet(t *testing.T, e *auditEdge, path string, v any) int {
	t.Helper()
	resp, err := http.Get("http://" + e.AdminAddr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// runCLI runs `caddy ocomms audit <args>` and returns its output and error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newAuditCommand()
	cmd.SilenceUsage = true
	return runCommand(t, cmd, args...)
}
