package caddymodule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TestClientIPIsCaddys: the address Caddy resolved wins over the TCP peer;
// without one (a handler called directly) the peer is used.
func TestClientIPIsCaddys(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.9:4321"
	if got := clientIP(r); got != "192.0.2.9" {
		t.Errorf("no client_ip: clientIP = %q, want the peer 192.0.2.9", got)
	}
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: "::ffff:198.51.100.7"})
	r = r.WithContext(ctx)
	if got := clientIP(r); got != "::ffff:198.51.100.7" {
		t.Errorf("clientIP = %q, want Caddy's client_ip", got)
	}
	if got, want := clientAddr(r), netip.MustParseAddr("198.51.100.7"); got != want {
		t.Errorf("clientAddr = %v, want %v (unmapped)", got, want)
	}
}
