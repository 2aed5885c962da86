package integration

// SEC-01: the edge obtains and renews its certificate by itself, over ACME
// HTTP-01, redirects plain HTTP to HTTPS without getting in the way of the
// CA's validation requests, and swaps certificates without a failed
// handshake. These tests run the edge in-process (internal/edgetest) against
// an in-process Pebble CA (acme_pebble_test.go) on loopback.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/core"

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

// TestACMEIssuanceHTTP01 proves the edge obtains its certificate by itself
// from the configured ACME CA over HTTP-01: what it serves chains to the
// CA's root, names the site, and Pebble validated an http-01 challenge for
// it against the edge's HTTP port.
func TestACMEIssuanceHTTP01(t *testing.T) {
	e, p, host := startACMETest(t, pebbleOptions{}, "issue")
	start := time.Now()
	loadACMEEdge(t, e, p, host, "")
	root := p.Root(t)

	leaf, chain := waitForCert(t, e, host, rootPool(root), issueTimeout, "a certificate from pebble", func(*x509.Certificate) bool { return true })
	t.Logf("certificate for %s served %s after start: serial %x, issuer %q, not after %s",
		host, time.Since(start).Round(time.Millisecond), leaf.SerialNumber, leaf.Issuer.CommonName, leaf.NotAfter.Format(time.RFC3339))

	if got := chain[len(chain)-1]; !got.Equal(root) {
		t.Errorf("served chain ends at %q, want pebble root %q", got.Subject, root.Subject)
	}
	if len(chain) < 3 {
		t.Errorf("served chain has %d certificates, want leaf, pebble intermediate and root", len(chain))
	} else if !strings.HasPrefix(chain[1].Subject.CommonName, "Pebble Intermediate CA") {
		t.Errorf("leaf issued by %q, want a pebble intermediate", chain[1].Subject.CommonName)
	}
	if !slices.Equal(leaf.DNSNames, []string{host}) {
		t.Errorf("certificate names %v, want exactly [%s]", leaf.DNSNames, host)
	}
	if err := leaf.VerifyHostname(host); err != nil {
		t.Errorf("certificate does not name %s: %v", host, err)
	}
	if p.db.GetCertificateBySerial(leaf.SerialNumber) == nil {
		t.Errorf("pebble has no record of issuing serial %x", leaf.SerialNumber)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life < 89*24*time.Hour {
		t.Errorf("certificate lifetime %s, want pebble's default 90 days", life)
	}

	// Pebble validated an http-01 challenge for the name, by fetching it from
	// the edge's HTTP port (PEBBLE_VA_ALWAYS_VALID is off), and no other
	// challenge type was attempted.
	var valid int
	for _, c := range p.Challenges() {
		if c.Type != "http-01" {
			t.Errorf("edge attempted a %s challenge (%s), want http-01 only", c.Type, c.Identifier)
			continue
		}
		if c.Identifier == host && c.Status == "valid" {
			valid++
		}
	}
	if valid == 0 {
		t.Fatalf("pebble saw no valid http-01 challenge for %s; challenges: %+v", host, p.Challenges())
	}
	// The VA fetched the challenge from the edge's HTTP port, and the edge
	// answered it (both sides' own logs).
	vaURL := fmt.Sprintf("Attempting to validate w/ HTTP: http://%s:%d/.well-known/acme-challenge/", host, e.HTTPPort)
	fetches := strings.Count(p.Log(), vaURL)
	if fetches == 0 {
		t.Errorf("pebble's VA log has no %q", vaURL)
	}
	caddyLog, err := os.ReadFile(filepath.Join(e.Dir, "caddy.log"))
	if err != nil {
		t.Fatalf("reading caddy log: %v", err)
	}
	var served int
	for line := range strings.Lines(string(caddyLog)) {
		if strings.Contains(line, `"msg":"served key authentication"`) && strings.Contains(line, `"identifier":"`+host+`"`) && strings.Contains(line, `"challenge":"http-01"`) {
			served++
		}
	}
	if served == 0 {
		t.Errorf("caddy log shows no http-01 key authorization served for %s", host)
	}
	t.Logf("pebble validated %d http-01 challenge(s) for %s: %d VA fetches from port %d, %d answered by the edge",
		valid, host, fetches, e.HTTPPort, served)

	// And the site answers over HTTPS with that certificate.
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: rootPool(root), MinVersion: tls.VersionTLS12},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(e.HTTPSPort))
			},
		},
	}
	resp, err := client.Get("https://" + host + ":" + strconv.Itoa(e.HTTPSPort) + "/")
	if err != nil {
		t.Fatalf("GET over https with pebble's root: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "hello from the edge" {
		t.Errorf("GET over https: %d %q, want 200 \"hello from the edge\"", resp.StatusCode, body)
	}
}

// TestACMEHTTPRedirect proves plain HTTP is redirected to HTTPS with a 308
// that keeps path, query and method, except for the CA's HTTP-01 validation
// request, which the edge answers with the key authorization.
func TestACMEHTTPRedirect(t *testing.T) {
	e, p, host := startACMETest(t, pebbleOptions{}, "redirect")

	// While a challenge is in flight (the edge has just told Pebble it is
	// ready), fetch it over plain HTTP exactly as the VA will.
	type probe struct {
		token, want string
		got         plainResponse
		err         error
	}
	var (
		mu     sync.Mutex
		probes []probe
	)
	p.onChallenge = func(chal *core.Challenge) {
		chal.RLock()
		token := chal.Token
		chal.RUnlock()
		pr := probe{token: token}
		pr.want, pr.err = p.KeyAuthorization(chal)
		if pr.err == nil {
			pr.got, pr.err = plainHTTP(e, http.MethodGet, host+":"+strconv.Itoa(e.HTTPPort), "/.well-known/acme-challenge/"+token)
		}
		mu.Lock()
		probes = append(probes, pr)
		mu.Unlock()
	}
	loadACMEEdge(t, e, p, host, "")
	waitForCert(t, e, host, rootPool(p.Root(t)), issueTimeout, "a certificate from pebble", func(*x509.Certificate) bool { return true })

	mu.Lock()
	defer mu.Unlock()
	if len(probes) == 0 {
		t.Fatal("no challenge was in flight to probe")
	}
	for _, pr := range probes {
		switch {
		case pr.err != nil:
			t.Errorf("challenge %s: %v", pr.token, pr.err)
		case pr.got.Status != http.StatusOK || pr.got.Location != "":
			t.Errorf("challenge %s over plain http: %d Location %q, want 200 and no redirect", pr.token, pr.got.Status, pr.got.Location)
		case strings.TrimSpace(pr.got.Body) != pr.want:
			t.Errorf("challenge %s over plain http answered %q, want key authorization %q", pr.token, pr.got.Body, pr.want)
		}
	}
	t.Logf("probed %d in-flight challenge(s) over plain http: answered with the key authorization, not redirected", len(probes))

	// Caddy leaves the port out of the Location: it treats https_port as
	// the port the outside world reaches as 443 (port forwarding), so only a
	// site address with some other explicit port gets one appended (caddyhttp
	// autohttps.go makeRedirRoute). Production runs on 80/443, where the
	// Location is the same.
	httpsBase := "https://" + host
	withPort := host + ":" + strconv.Itoa(e.HTTPPort)
	tests := []struct {
		name, method, host, path string
		wantStatus               int
		wantLocation             string
	}{
		{"root", http.MethodGet, withPort, "/", http.StatusPermanentRedirect, httpsBase + "/"},
		{"path and query kept", http.MethodGet, withPort, "/chat/room?id=42&next=%2Fhome", http.StatusPermanentRedirect, httpsBase + "/chat/room?id=42&next=%2Fhome"},
		{"host without port", http.MethodGet, host, "/login?x=1", http.StatusPermanentRedirect, httpsBase + "/login?x=1"},
		{"POST keeps method via 308", http.MethodPost, withPort, "/api/auth/sign-in/email", http.StatusPermanentRedirect, httpsBase + "/api/auth/sign-in/email"},
		// Hosts without a site get Caddy's catch-all redirect.
		{"unlisted host", http.MethodGet, "other.localhost", "/x?y=1", http.StatusPermanentRedirect, "https://other.localhost/x?y=1"},
		// A challenge path with no challenge in flight is not the edge's to
		// answer (Caddy solves only challenges it started, caddytls
		// HandleHTTPChallenge), so it gets the ordinary redirect.
		{"unknown challenge token", http.MethodGet, withPort, "/.well-known/acme-challenge/not-a-live-token", http.StatusPermanentRedirect, httpsBase + "/.well-known/acme-challenge/not-a-live-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := plainHTTP(e, tt.method, tt.host, tt.path)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.path, err)
			}
			if got.Status != tt.wantStatus || got.Location != tt.wantLocation {
				t.Errorf("%s http://%s%s = %d Location %q, want %d Location %q",
					tt.method, tt.host, tt.path, got.Status, got.Location, tt.wantStatus, tt.wantLocation)
			}
		})
	}
}
