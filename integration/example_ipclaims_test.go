package integration

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms-edge/headers"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// spoofedClaims are the client-address headers a spoofing client sends.
var spoofedClaims = []string{
	"Forwarded", "for=6.6.6.6;proto=https",
	"True-Client-IP", "6.6.6.6",
	"CF-Connecting-IP", "6.6.6.6",
	"X-Client-IP", "6.6.6.6",
	"X-Cluster-Client-IP", "6.6.6.6",
	"Fastly-Client-IP", "6.6.6.6",
	"X-Original-Forwarded-For", "6.6.6.6",
	"X-Real-IP", "6.6.6.6",
	"X-Forwarded-For", "6.6.6.6",
}

// A client talking to Caddyfile.example directly cannot put a client
// address into any header the app might read: ocomms_headers strips the
// claims, reverse_proxy sets X-Forwarded-For and X-Real-IP from client_ip.
func TestExampleStripsSpoofedIPClaims(t *testing.T) {
	skipInShort(t, "starts Caddy")
	e, _ := startExample(t)
	resp := e.Get(t, demoupstream.EchoPath, spoofedClaims...)
	var echo demoupstream.Echo
	edgetest.DecodeJSON(t, resp, &echo)
	for _, name := range headers.IPClaimHeaders {
		if got, ok := echo.Headers[http.CanonicalHeaderKey(name)]; ok && name != "X-Real-Ip" {
			t.Errorf("upstream saw %s: %q", name, got)
		}
	}
	for _, name := range []string{"X-Forwarded-For", "X-Real-Ip"} {
		if got := echo.Headers[name]; len(got) != 1 || got[0] != "127.0.0.1" {
			t.Errorf("upstream saw %s %q, want exactly the TCP peer 127.0.0.1", name, got)
		}
	}
}

// Behind a trusted proxy (OCOMMS_TRUSTED_PROXIES covers the peer), the
// proxy vouches for the claims: they reach the app, and the client IP is
// the one the proxy named in X-Forwarded-For.
func TestExampleKeepsIPClaimsFromTrustedProxy(t *testing.T) {
	skipInShort(t, "starts Caddy")
	t.Setenv("OCOMMS_TRUSTED_PROXIES", "127.0.0.1/32")
	e, _ := startExample(t)
	resp := e.Get(t, demoupstream.EchoPath, spoofedClaims...)
	var echo demoupstream.Echo
	edgetest.DecodeJSON(t, resp, &echo)
	for _, name := range []string{"Forwarded", "True-Client-Ip", "Cf-Connecting-Ip", "X-Client-Ip", "X-Cluster-Client-Ip",
		"Fastly-Client-Ip", "X-Original-Forwarded-For"} {
		if got := echo.Headers[name]; len(got) != 1 {
			t.Errorf("upstream saw %s %q from a trusted proxy, want it passed on", name, got)
		}
	}
	for _, name := range []string{"X-Forwarded-For", "X-Real-Ip"} {
		if got := echo.Headers[name]; len(got) != 1 || got[0] != "6.6.6.6" {
			t.Errorf("upstream saw %s %q, want the address the trusted proxy named", name, got)
		}
	}
}
