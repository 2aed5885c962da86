package modkit

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// ClientIP is the one place the edge's handlers learn who the client is:
// the client_ip Caddy resolved with the server's trusted_proxies rules,
// never a request header. A request that did not pass through a Caddy
// server (a handler called directly) falls back to the TCP peer. The
// adapters hand this function (or ClientAddr) to the capability packages,
// which never compute an address themselves.
func ClientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && ip != "" {
		return ip
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// ClientAddr is ClientIP as an address, IPv4-mapped IPv6 unmapped; the
// zero Addr when it does not parse.
func ClientAddr(r *http.Request) netip.Addr {
	a, _ := netip.ParseAddr(ClientIP(r))
	return a.Unmap()
}

// FromTrustedProxy reports whether Caddy found the request's peer in the
// server's trusted_proxies.
func FromTrustedProxy(r *http.Request) bool {
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	return trusted
}
