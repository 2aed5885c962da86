package integration

// The ACME tests' edge, hosts and TLS/HTTP probes (see acme_test.go).

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// acmeCaddyfile is the edge under test: one site whose certificate comes from
// the ACME CA at {ACME_DIR}. The explicit issuer matters: Caddy would send a
// *.localhost name to its internal CA otherwise. renew_interval is how often
// certmagic's maintenance loop checks for renewals and polls ARI (default
// 10m); 1s keeps the renewal tests short.
const acmeCaddyfile = `{
	admin {ADMIN}
	http_port {HTTP_PORT}
	https_port {HTTPS_PORT}
	storage file_system {DIR}/storage
	skip_install_trust
	renew_interval 1s
	{EXTRA_GLOBAL}
	log {
		output file {DIR}/caddy.log
		level DEBUG
	}
}

` + pebbleSiteTLS + `	respond "hello from the edge"
}
`

// pebbleSiteTLS opens the site {HOST} with a certificate from the ACME CA
// at {ACME_DIR} (Pebble) under {ACME_PROFILE}; the site's handlers and its
// closing brace follow it.
const pebbleSiteTLS = `{HOST} {
	tls {
		issuer acme {
			dir {ACME_DIR}
			trusted_roots {ACME_ROOT}
			profile {ACME_PROFILE}
			disable_tlsalpn_challenge
		}
	}
`

// Bounds on waiting for the edge. Issuance against an in-process Pebble takes
// well under a second; these are generous for slow CI machines.
const (
	issueTimeout = 60 * time.Second
	swapTimeout  = 60 * time.Second
)

var hostSeq atomic.Int64

// uniqueHost returns a fresh site name under ocomms.localhost. Each test uses
// its own name because certmagic keeps process-global state per name (the
// renewal job queue and its retry backoff), which must not leak between
// tests, or between runs with -count.
func uniqueHost(label string) string {
	return fmt.Sprintf("%s-%d.ocomms.localhost", label, hostSeq.Add(1))
}

// skipShort skips t under -short: these tests run a CA and Caddy and take
// seconds to a minute.
func skipShort(t *testing.T) {
	t.Helper()
	skipInShort(t, "skipping ACME integration test in -short mode: it runs an in-process CA and Caddy")
}

// startACMETest skips in -short mode, then makes an in-process edge, a
// Pebble CA with opts validating through the edge's HTTP port, and a fresh
// host name from label; loadACMEEdge then starts the edge's site.
func startACMETest(t *testing.T, opts pebbleOptions, label string) (*edgetest.Edge, *pebble, string) {
	t.Helper()
	skipShort(t)
	e := edgetest.New(t)
	return e, startPebble(t, e.HTTPPort, opts), uniqueHost(label)
}

// loadACMEEdge starts Caddy on e with acmeCaddyfile for host, using p as its
// CA. extraGlobal is added to the global options block. On failure the tail
// of Caddy's log is printed.
func loadACMEEdge(t *testing.T, e *edgetest.Edge, p *pebble, host, extraGlobal string) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		b, err := os.ReadFile(filepath.Join(e.Dir, "caddy.log"))
		if err != nil {
			t.Logf("reading caddy log: %v", err)
			return
		}
		var keep []string
		for line := range strings.Lines(string(b)) {
			if !strings.Contains(line, `"level":"debug"`) {
				keep = append(keep, line)
			}
		}
		t.Logf("caddy log, info and above (last 40 lines):\n%s", lastLines(strings.Join(keep, ""), 40))
	})
	e.Load(t, acmeCaddyfile,
		"{EXTRA_GLOBAL}", extraGlobal,
		"{HOST}", host,
		"{ACME_DIR}", p.DirectoryURL(),
		"{ACME_ROOT}", p.TrustedRoot,
		"{ACME_PROFILE}", p.opts.Profile,
	)
}

// handshake does one TLS handshake with the edge's HTTPS port for host,
// verifying the chain against roots and the name, and returns the leaf and
// the verified chain.
func handshake(e *edgetest.Edge, host string, roots *x509.CertPool) (*x509.Certificate, []*x509.Certificate, error) {
	d := &net.Dialer{Timeout: 5 * time.Second} // bounds dial and handshake
	conn, err := tls.DialWithDialer(d, "tcp", "127.0.0.1:"+strconv.Itoa(e.HTTPSPort), &tls.Config{
		ServerName: host,
		RootCAs:    roots,
		MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	st := conn.ConnectionState()
	if len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
		return nil, nil, errors.New("handshake finished without a verified chain")
	}
	return st.PeerCertificates[0], st.VerifiedChains[0], nil
}

// waitForCert polls the edge until it serves, for host, a certificate that
// verifies against roots and satisfies accept, and returns it. It fails the
// test after timeout, with the last handshake error.
func waitForCert(t *testing.T, e *edgetest.Edge, host string, roots *x509.CertPool, timeout time.Duration, what string, accept func(*x509.Certificate) bool) (*x509.Certificate, []*x509.Certificate) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		leaf, chain, err := handshake(e, host, roots)
		switch {
		case err != nil:
			lastErr = err
		case accept(leaf):
			return leaf, chain
		default:
			lastErr = fmt.Errorf("still serving serial %x (not after %s)", leaf.SerialNumber, leaf.NotAfter.Format(time.RFC3339))
		}
		if time.Now().After(deadline) {
			t.Fatalf("edge did not serve %s for %s within %s; last: %v", what, host, timeout, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitUntil polls cond every 100ms and fails the test with msg after
// timeout.
func waitUntil(t *testing.T, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rootPool returns a pool holding only root.
func rootPool(root *x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return pool
}

// plainResponse is the interesting part of a plain-HTTP response.
type plainResponse struct {
	Status   int
	Location string
	Body     string
}

// plainHTTP sends method path to the edge's HTTP port with the given Host
// header, without following redirects.
func plainHTTP(e *edgetest.Edge, method, host, path string) (plainResponse, error) {
	req, err := http.NewRequest(method, "http://127.0.0.1:"+strconv.Itoa(e.HTTPPort)+path, nil)
	if err != nil {
		return plainResponse{}, err
	}
	req.Host = host
	client := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return plainResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return plainResponse{}, fmt.Errorf("reading body: %w", err)
	}
	return plainResponse{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body)}, nil
}
