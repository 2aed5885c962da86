package auditmod_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/ocomms/ocomms-edge/caddymodule" // every module and the ocomms app, as a build has them
	"github.com/ocomms/ocomms-edge/caddymodule/auditmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
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
	return modtest.SiteCaddyfile(auditSite, modtest.AuditJSONLWith(append([]string{"instance test-edge"}, lines...)...))
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
	up := "http://" + modtest.Serve(t, app)
	e := modtest.NewEdge(t)
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
	resp, err := e.Client.Do(modtest.NewRequest(t, http.MethodPost, e.URL(path), contentType, strings.NewReader(body), header...))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// demoSession is a session cookie of the demo upstream's user; an error
// fails the test.
func (e *auditEdge) demoSession(t *testing.T) *http.Cookie {
	t.Helper()
	cookie, err := e.app.NewSessionCookie(demoupstream.DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	return cookie
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
	cmd := auditmod.NewAuditCommand()
	cmd.SilenceUsage = true
	return modtest.RunCommand(t, cmd, args...)
}

// TestMain keeps Caddy's data directory out of the home directory.
func TestMain(m *testing.M) { modtest.Main(m) }
