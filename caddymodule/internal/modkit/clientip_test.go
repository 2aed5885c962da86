package modkit

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
	if got := ClientIP(r); got != "192.0.2.9" {
		t.Errorf("no client_ip: ClientIP = %q, want the peer 192.0.2.9", got)
	}
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: "::ffff:198.51.100.7"})
	r = r.WithContext(ctx)
	if got := ClientIP(r); got != "::ffff:198.51.100.7" {
		t.Errorf("ClientIP = %q, want Caddy's client_ip", got)
	}
	if got, want := ClientAddr(r), netip.MustParseAddr("198.51.100.7"); got != want {
		t.Errorf("ClientAddr = %v, want %v (unmapped)", got, want)
	}
}
