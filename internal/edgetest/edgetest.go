// Package edgetest runs a real, in-process Caddy server built from a
// Caddyfile, for tests that must exercise the edge modules through Caddy
// rather than as bare handlers.
//
// Caddy keeps one running configuration per process, so tests that use this
// package must not call t.Parallel. Ports are picked free per server, so test
// binaries of different packages can run side by side.
package edgetest

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/ocomms/ocomms-edge/internal/testsupport"

	// The standard modules plus ours, as in the real binary.
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

// Edge is a running Caddy server started by Start.
type Edge struct {
	// HTTPPort and HTTPSPort are the ports the server listens on.
	HTTPPort, HTTPSPort int
	// AdminAddr is the admin API address (host:port).
	AdminAddr string
	// Dir is a temporary directory for storage and logs, removed at cleanup.
	Dir string
	// JSON is the adapted configuration that was loaded.
	JSON []byte
	// Client talks to the edge; it trusts any certificate (Caddy's internal
	// CA is made fresh per test) and does not follow redirects.
	Client *http.Client

	stopRegistered bool
}

var running sync.Mutex

// Expand replaces the harness placeholders in a Caddyfile: {HTTP_PORT},
// {HTTPS_PORT}, {ADMIN} and {DIR}, plus any extra pairs given.
func (e *Edge) Expand(caddyfile string, extra ...string) string {
	pairs := append([]string{
		"{HTTP_PORT}", strconv.Itoa(e.HTTPPort),
		"{HTTPS_PORT}", strconv.Itoa(e.HTTPSPort),
		"{ADMIN}", e.AdminAddr,
		"{DIR}", e.Dir,
	}, extra...)
	return strings.NewReplacer(pairs...).Replace(caddyfile)
}

// tempDir makes a directory removed at test end (testsupport.TempDir).
func tempDir(t testing.TB) string { return testsupport.TempDir(t) }

// New prepares an Edge with free ports and a temporary directory, without
// starting Caddy. Use Load to start it.
func New(t testing.TB) *Edge {
	t.Helper()
	e := &Edge{
		HTTPPort:  testsupport.FreePort(t),
		HTTPSPort: testsupport.FreePort(t),
		Dir:       tempDir(t),
	}
	// Caddy's data directory (where the audit log's embedded JSONL default
	// and spool live) follows XDG_DATA_HOME at each call: keep every test's
	// files in its own directory, never in the home of whoever runs it.
	t.Setenv("XDG_DATA_HOME", e.Dir)
	e.AdminAddr = "127.0.0.1:" + strconv.Itoa(testsupport.FreePort(t))
	e.Client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // test CA made per test
			MaxIdleConnsPerHost: 64,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return e
}

// Start adapts caddyfile (after Expand with extra) and loads it into an
// in-process Caddy that is stopped when the test ends.
func Start(t testing.TB, caddyfile string, extra ...string) *Edge {
	t.Helper()
	e := New(t)
	e.Load(t, caddyfile, extra...)
	return e
}

// Load adapts caddyfile and loads it, replacing any configuration this Edge
// already runs (a config reload, as `caddy reload` would do).
func (e *Edge) Load(t testing.TB, caddyfile string, extra ...string) {
	t.Helper()
	cfg, err := Adapt(e.Expand(caddyfile, extra...))
	if err != nil {
		t.Fatalf("adapting caddyfile: %v", err)
	}
	e.JSON = cfg
	e.ensureStopped(t)
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading caddy config: %v\n%s", err, cfg)
	}
	// A reload shuts the old servers down, closing their idle connections;
	// drop the client's too, so that its next request does not reuse one
	// the server is closing (a POST is not retried: it would fail with EOF).
	e.Client.CloseIdleConnections()
	e.waitListening(t)
}

// TryLoad adapts and loads caddyfile into the running Edge and returns the
// error instead of failing the test, for tests of rejected configurations.
func (e *Edge) TryLoad(t testing.TB, caddyfile string, extra ...string) error {
	cfg, err := Adapt(e.Expand(caddyfile, extra...))
	if err != nil {
		return err
	}
	e.ensureStopped(t)
	return caddy.Load(cfg, true)
}

// ensureStopped makes sure Caddy is stopped, and this process's Caddy free
// for the next test, when the test ends.
func (e *Edge) ensureStopped(t testing.TB) {
	if e.stopRegistered {
		return
	}
	e.stopRegistered = true
	running.Lock()
	t.Cleanup(func() {
		if err := caddy.Stop(); err != nil {
			t.Logf("stopping caddy: %v", err)
		}
		running.Unlock()
	})
}

// Adapt turns a Caddyfile into Caddy's JSON configuration, made quiet for
// tests (no autosave; logs discarded unless OCOMMS_TEST_CADDY_LOG=1).
func Adapt(caddyfile string) ([]byte, error) {
	cfg, err := AdaptRaw(caddyfile)
	if err != nil {
		return nil, err
	}
	return quietConfig(cfg)
}

// AdaptRaw turns a Caddyfile into Caddy's JSON configuration exactly as
// `caddy adapt` does, failing on adapter warnings other than formatting.
func AdaptRaw(caddyfile string) ([]byte, error) {
	adapter := caddyconfig.GetAdapter("caddyfile")
	if adapter == nil {
		return nil, fmt.Errorf("caddyfile adapter not registered")
	}
	cfg, warnings, err := adapter.Adapt([]byte(caddyfile), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		return nil, fmt.Errorf("adapting: %w", err)
	}
	for _, w := range warnings {
		if strings.Contains(w.Message, "not formatted") {
			continue
		}
		return nil, fmt.Errorf("adapter warning: %s:%d: %s", w.File, w.Line, w.Message)
	}
	return cfg, nil
}

// quietConfig keeps test servers from persisting their config to the
// user's autosave.json and, unless OCOMMS_TEST_CADDY_LOG=1, from logging.
func quietConfig(cfg []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		return nil, fmt.Errorf("reading adapted config: %w", err)
	}
	admin, _ := m["admin"].(map[string]any)
	if admin == nil {
		admin = map[string]any{}
	}
	if _, ok := admin["config"]; !ok {
		admin["config"] = map[string]any{"persist": false}
	}
	m["admin"] = admin
	if os.Getenv("OCOMMS_TEST_CADDY_LOG") != "1" {
		if _, ok := m["logging"]; !ok {
			m["logging"] = map[string]any{"logs": map[string]any{"default": map[string]any{"level": "ERROR", "writer": map[string]any{"output": "discard"}}}}
		}
	}
	return json.Marshal(m)
}

// waitListening waits until every listener of the config accepts TCP and,
// when the HTTPS port is among them, until it completes a TLS handshake for
// the first site host (certificates are issued in the background).
func (e *Edge) waitListening(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	https := false
	for _, port := range listenPorts(e.JSON) {
		https = https || port == strconv.Itoa(e.HTTPSPort)
		if err := testsupport.WaitListening("127.0.0.1:"+port, time.Until(deadline)); err != nil {
			t.Fatalf("caddy did not listen on port %s: %v", port, err)
		}
	}
	host := firstSiteHost(e.JSON)
	if !https || host == "" {
		return
	}
	addr := "127.0.0.1:" + strconv.Itoa(e.HTTPSPort)
	for {
		dialer := &net.Dialer{Timeout: 500 * time.Millisecond}
		c, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{ServerName: host, InsecureSkipVerify: true}) //nolint:gosec // readiness probe only
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy did not serve TLS on %s for %q: %v", addr, host, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// listenPorts returns the ports of every server's listen addresses.
func listenPorts(cfg []byte) []string {
	var c struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					Listen []string `json:"listen"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if json.Unmarshal(cfg, &c) != nil {
		return nil
	}
	var ports []string
	for _, srv := range c.Apps.HTTP.Servers {
		for _, l := range srv.Listen {
			if i := strings.LastIndex(l, ":"); i >= 0 {
				ports = append(ports, l[i+1:])
			}
		}
	}
	return ports
}

// firstSiteHost returns the first host matcher value in an adapted config.
func firstSiteHost(cfg []byte) string {
	var c struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					Routes []struct {
						Match []struct {
							Host []string `json:"host"`
						} `json:"match"`
					} `json:"routes"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if json.Unmarshal(cfg, &c) != nil {
		return ""
	}
	for _, srv := range c.Apps.HTTP.Servers {
		for _, r := range srv.Routes {
			for _, m := range r.Match {
				for _, h := range m.Host {
					if !strings.Contains(h, "*") {
						return h
					}
				}
			}
		}
	}
	return ""
}

// URL returns an https URL on the edge for path, addressed as localhost.
func (e *Edge) URL(path string) string {
	return "https://localhost:" + strconv.Itoa(e.HTTPSPort) + path
}

// HTTPURL returns a plain http URL on the edge's HTTP port for path.
func (e *Edge) HTTPURL(path string) string {
	return "http://localhost:" + strconv.Itoa(e.HTTPPort) + path
}

// Get performs a GET through the edge and fails the test on transport errors.
// The body is closed when the test ends.
func (e *Edge) Get(t testing.TB, path string, header ...string) *http.Response {
	t.Helper()
	resp := e.send(t, http.MethodGet, path, header)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// Do sends a bodiless request through the edge (header: name, value, ...)
// and returns the response with its body read and closed; it fails the
// test on transport errors.
func (e *Edge) Do(t testing.TB, method, path string, header ...string) (*http.Response, string) {
	t.Helper()
	resp := e.send(t, method, path, header)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// send sends a bodiless request to the edge's HTTPS port.
func (e *Edge) send(t testing.TB, method, path string, header []string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// WriteFile writes content into the edge's temporary directory and returns
// its path.
func (e *Edge) WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(e.Dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// DecodeJSON reads a JSON response body into v, failing the test on error.
func DecodeJSON(t testing.TB, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decoding JSON body of %s: %v", resp.Request.URL, err)
	}
}
