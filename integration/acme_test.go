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
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/core"
)

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
