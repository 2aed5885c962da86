// Package accessmod is the Caddy adapter of the access checks:
// ocomms_ip_allow (admin paths only from the allowlist) and ocomms_origin
// (foreign origins refused, CORS preflights answered), with their
// Caddyfile parsers and refusal metric.
//
// It imports internal/modkit and the capability packages ipallow and
// origin; it must not import caddymodule or the other handler packages
// (auditmod, guardmod, consolemod).
package accessmod
