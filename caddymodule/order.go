package caddymodule

import "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

// The edge's handlers run in this order, all after encode (so that the nonce
// injector sees uncompressed HTML and encode compresses what it writes) and
// before push, the route-dispatching directives and reverse_proxy:
//
//	ocomms_headers     policy on the response before anything can fail
//	ocomms_auth_guard  before the limiter: a locked account always gets the
//	                   lock answer with its unlock path, never the generic
//	                   rate-limit 429 of a zone on the same path; its own
//	                   answers (lock, refusals) are never counted by the
//	                   limiter, and a 429 of the limiter is not counted by
//	                   the lockout
//	ocomms_rate_limit  429s carry the security headers
//	ocomms_audit       records what reached the app
//	ocomms_console     the operator console at its prefix, after every
//	                   guard (and an ocomms_ip_allow) in front of it
//	ocomms_error       (before respond) answers with the JSON error shape,
//	                   in handle_errors or for unserved host names
//
// All orders are registered here, in one init, so their relative order does
// not depend on file order.
func init() {
	httpcaddyfile.RegisterDirectiveOrder("ocomms_headers", httpcaddyfile.Before, "push")
	httpcaddyfile.RegisterDirectiveOrder("ocomms_auth_guard", httpcaddyfile.Before, "push")
	httpcaddyfile.RegisterDirectiveOrder("ocomms_rate_limit", httpcaddyfile.Before, "push")
	httpcaddyfile.RegisterDirectiveOrder("ocomms_audit", httpcaddyfile.Before, "push")
	httpcaddyfile.RegisterDirectiveOrder("ocomms_console", httpcaddyfile.Before, "push")
	// ocomms_error answers, like respond: last among the edge's handlers.
	httpcaddyfile.RegisterDirectiveOrder("ocomms_error", httpcaddyfile.Before, "respond")
}
