// Package caddymodule is the OComms security edge as Caddy v2 modules: the
// one plugin path operators build. It owns the `ocomms` app and global
// option (shared Redis, secret, the audit log's state), the
// ocomms_headers, ocomms_rate_limit and ocomms_error handlers, the
// ocomms_redis storage, the directive order of every handler (order.go),
// the /ocomms/instance admin route and `caddy ocomms doctor`; and it
// imports the handler packages so that a build registers every module:
//
//	auditmod    ocomms_audit, the audit log's admin API and commands
//	guardmod    ocomms_auth_guard: lockout, two-factor, its admin API and command
//	accessmod   ocomms_ip_allow and ocomms_origin
//	consolemod  ocomms_console
//
// Helpers every adapter shares (client IP, status recording, Caddyfile
// arguments, metrics, the app's shared state) live in internal/modkit. The
// handler packages never import this package; it imports them.
//
// The adapters stay thin: policy, counting and event logic live in the
// plain net/http packages (headers, ratelimit, authguard, auditlog, …).
//
// Build a custom Caddy with it:
//
//	xcaddy build --with github.com/ocomms/ocomms-edge/caddymodule
package caddymodule
