// Package caddymodule registers the OComms security edge as Caddy v2
// modules: the ocomms_headers, ocomms_rate_limit, ocomms_auth_guard and
// ocomms_audit HTTP handlers, their Caddyfile directives (ordered so that no
// `order` lines are needed), the `ocomms` global option, admin API routes and
// the `caddy ocomms …` subcommands.
//
// The package is a thin adapter: policy, counting and event logic live in
// the plain net/http packages headers, ratelimit, authguard and auditlog.
//
// Build a custom Caddy with it:
//
//	xcaddy build --with github.com/ocomms/ocomms-edge/caddymodule
package caddymodule
