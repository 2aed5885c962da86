package modtest

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

// The pieces the Caddy-backed tests of caddymodule and its packages share: the global
// options of a test edge, starting one, an upstream to put behind it,
// requests, refused configurations, the admin API's metrics and running a
// `caddy ocomms` subcommand.

// Global options a test edge's Caddyfile picks from (EdgeCaddyfile).
const (
	AdminAPI       = "admin {ADMIN}"
	AdminOff       = "admin off"
	FileStorage    = "storage file_system {DIR}/storage"
	LocalCerts     = "local_certs"
	AutoHTTPSOff   = "auto_https off"
	TrustedProxies = "servers {\n\t\ttrusted_proxies static 10.0.0.0/8\n\t\ttrusted_proxies_strict\n\t}"
)

// AuditJSONL is the global ocomms option that records the audit log to
// {DIR}/audit.
var AuditJSONL = AuditJSONLWith()

// AuditJSONLWith is AuditJSONL with more lines in its audit block.
func AuditJSONLWith(lines ...string) string {
	var b strings.Builder
	b.WriteString("ocomms {\n\t\taudit {\n\t\t\tjsonl {DIR}/audit\n")
	for _, l := range lines {
		b.WriteString("\t\t\t" + l + "\n")
	}
	b.WriteString("\t\t}\n\t}")
	return b.String()
}

// EdgeCaddyfile is a test edge's Caddyfile: a global options block with
// the harness's ports, no trust-store install and the given options (one
// per line), then the site blocks.
func EdgeCaddyfile(sites string, options ...string) string {
	var b strings.Builder
	b.WriteString("{\n\thttp_port {HTTP_PORT}\n\thttps_port {HTTPS_PORT}\n\tskip_install_trust\n")
	for _, o := range options {
		b.WriteString("\t" + o + "\n")
	}
	b.WriteString("}\n" + sites)
	return b.String()
}

// SiteCaddyfile is the usual test edge: the admin API, storage in the
// test's directory, certificates from Caddy's internal CA, then sites.
func SiteCaddyfile(sites string, options ...string) string {
	return EdgeCaddyfile(sites, append([]string{AdminAPI, FileStorage, LocalCerts}, options...)...)
}

// NewEdge prepares an edge for a test that starts Caddy, which -short
// skips.
func NewEdge(t *testing.T) *edgetest.Edge {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	return edgetest.New(t)
}

// StartEdge is NewEdge loaded with caddyfile (expanded with extra).
func StartEdge(t *testing.T, caddyfile string, extra ...string) *edgetest.Edge {
	t.Helper()
	e := NewEdge(t)
	e.Load(t, caddyfile, extra...)
	return e
}

// Serve runs h on a local HTTP server closed when the test ends and
// returns its host:port, as reverse_proxy names an upstream.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// NewRequest makes a request for url with a Content-Type (unless "") and
// the header pairs given (name, value, …).
func NewRequest(t testing.TB, method, url, contentType string, body io.Reader, header ...string) *http.Request {
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

// SignInBody is a JSON email sign-in request body.
func SignInBody(email, password string) []byte {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return body
}

// RefusedConfig is a configuration the edge must refuse at load, with a
// part of the error it must give.
type RefusedConfig struct {
	Name, Caddyfile, Want string
}

// CheckRefused loads each configuration into e and fails unless it is
// refused with an error containing its want and none of secrets.
func CheckRefused(t *testing.T, e *edgetest.Edge, cases []RefusedConfig, secrets ...string) {
	t.Helper()
	for _, tc := range cases {
		err := e.TryLoad(t, tc.Caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.Want) {
			t.Errorf("%s: error %v, want one containing %q", tc.Name, err, tc.Want)
		}
		for _, s := range secrets {
			if err != nil && strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error shows the secret %q: %v", tc.Name, s, err)
			}
		}
	}
}

// MetricValue reads one series, named with its labels, from the admin
// API's /metrics at adminAddr. The counters are process-wide, so tests
// compare before and after.
func MetricValue(t *testing.T, adminAddr, series string) int {
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

// RunCommand runs a `caddy ocomms` subcommand with args, giving up after
// two minutes, and returns what it wrote (stdout and stderr) and its error.
func RunCommand(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
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
