package caddymodule

import "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

// The edge's handlers run in this order, all after encode (so that the nonce
// injector sees uncompressed HTML and encode compresses what it writes) and
// before push, the route-dispatching directives and reverse_proxy:
//
//	ocomms_headers     policy on the response before anything can fail
//	ocomms_rate_limit  429s carry the security headers
//	ocomms_auth_guard  sees only requests the limiter admitted
//	ocomms_audit       records what reached the app
//
// All orders are registered here, in one init, so their relative order does
// not depend on file order.
func init() {
	httpcaddyfile.RegisterDirectiveOrder("ocomms_headers", httpcaddyfile.Before, "push")
	httpcaddyfile.RegisterDirectiveOrder("ocomms_rate_limit", httpcaddyfile.Before, "push")
	// ocomms_auth_guard goes here (guard branch), ocomms_audit after it.
	httpcaddyfile.RegisterDirectiveOrder("ocomms_audit", httpcaddyfile.Before, "push")
}
