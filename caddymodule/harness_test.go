package caddymodule

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// The pieces the Caddy-backed tests of this package share: the global
// options of a test edge, starting one, an upstream to put behind it,
// requests, refused configurations, the admin API's metrics and running a
// `caddy ocomms` subcommand.

// Global options a test edge's Caddyfile picks from (edgeCaddyfile).
const (
	adminAPI       = "admin {ADMIN}"
	adminOff       = "admin off"
	fileStorage    = "storage file_system {DIR}/storage"
	localCerts     = "local_certs"
	autoHTTPSOff   = "auto_https off"
	trustedProxies = "servers {\n\t\ttrusted_proxies static 10.0.0.0/8\n\t\ttrusted_proxies_strict\n\t}"
)

// auditJSONL is the global ocomms option that records the audit log to
// {DIR}/audit.
var auditJSONL = auditJSONLWith()

// auditJSONLWith is auditJSONL with more lines in its audit block.
func auditJSONLWith(lines ...string) string {
	var b strings.Builder
	b.WriteString("ocomms {\n\t\taudit {\n\t\t\tjsonl {DIR}/audit\n")
	for _, l := range lines {
		b.WriteString("\t\t\t" + l + "\n")
	}
	b.WriteString("\t\t}\n\t}")
	return b.String()
}

// edgeCaddyfile is a test edge's Caddyfile: a global options block with
// the harness's ports, no trust-store install and the given options (one
// per line), then the site blocks.
func edgeCaddyfile(sites string, options ...string) string {
	var b strings.Builder
	b.WriteString("{\n\thttp_port {HTTP_PORT}\n\thttps_port {HTTPS_PORT}\n\tskip_install_trust\n")
	for _, o := range options {
		b.WriteString("\t" + o + "\n")
	}
	b.WriteString("}\n" + sites)
	return b.String()
}

// siteCaddyfile is the usual test edge: the admin API, storage in the
// test's directory, certificates from Caddy's internal CA, then sites.
func siteCaddyfile(sites string, options ...string) string {
	return edgeCaddyfile(sites, append([]string{adminAPI, fileStorage, localCerts}, options...)...)
}

// newEdge prepares an edge for a test that starts Caddy, which -short
// skips.
func newEdge(t *testing.T) *edgetest.Edge {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	return edgetest.New(t)
}

// startEdge is newEdge loaded with caddyfile (expanded with extra).
func startEdge(t *testing.T, caddyfile string, extra ...string) *edgetest.Edge {
	t.Helper()
	e := newEdge(t)
	e.Load(t, caddyfile, extra...)
	return e
}

// serve runs h on a local HTTP server closed when the test ends and
// returns its host:port, as reverse_proxy names an upstream.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// newRequest makes a request for url with a Content-Type (unless "") and
// the header pairs given (name, value, …).
func newRequest(t testing.TB, method, url, contentType string, body io.Reader, header ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		header = append([]string{"Content-Type", contentType}, header...)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// signInBody is a JSON email sign-in request body.
func signInBody(email, password string) []byte {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return body
}

// refusedConfig is a configuration the edge must refuse at load, with a
// part of the error it must give.
type refusedConfig struct {
	name, caddyfile, want string
}

// checkRefused loads each configuration into e and fails unless it is
// refused with an error containing its want and none of secrets.
func checkRefused(t *testing.T, e *edgetest.Edge, cases []refusedConfig, secrets ...string) {
	t.Helper()
	for _, tc := range cases {
		err := e.TryLoad(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		for _, s := range secrets {
			if err != nil && strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error shows the secret %q: %v", tc.name, s, err)
			}
		}
	}
}

// metricValue reads one series, named with its labels, from the admin
// API's /metrics at adminAddr. The counters are process-wide, so tests
// compare before and after.
func metricValue(t *testing.T, adminAddr, series string) int {
	t.Helper()
	resp, err := http.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok && resp.StatusCode == http.StatusOK {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	t.Fatalf("no %s in /metrics (status %d)", series, resp.StatusCode)
	return 0
}

// runCommand runs a `caddy ocomms` subcommand with args, giving up after
// two minutes, and returns what it wrote (stdout and stderr) and its error.
func runCommand(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}
