package headers

import "net/http"

// IPClaimHeaders are request headers through which a client (or a proxy)
// claims a client address. Apps read them: better-auth's IP header list is
// configurable, OComms' own code reads X-Real-IP, and frameworks look at
// Forwarded. A client that talks to the edge directly must not be able to
// set any of them: the edge sets X-Forwarded-For and X-Real-IP itself from
// Caddy's client_ip (Caddyfile.example's header_up lines).
var IPClaimHeaders = []string{
	"Forwarded",
	"X-Forwarded",
	"X-Real-Ip",
	"True-Client-Ip",
	"Cf-Connecting-Ip",
	"Cf-Connecting-Ipv6",
	"X-Client-Ip",
	"Client-Ip",
	"X-Cluster-Client-Ip",
	"Fastly-Client-Ip",
	"X-Original-Forwarded-For",
	"X-Originating-Ip",
	"X-Remote-Ip",
	"X-Remote-Addr",
	"X-Envoy-External-Address",
	"X-Azure-Clientip",
	"X-Azure-Socketip",
}

// StripIPClaims deletes every IPClaimHeaders field from a request's
// header. Call it for requests that did not come from a trusted proxy.
// X-Forwarded-For is left to the reverse proxy, which replaces it.
func StripIPClaims(h http.Header) {
	for _, name := range IPClaimHeaders {
		delete(h, name)
	}
}
