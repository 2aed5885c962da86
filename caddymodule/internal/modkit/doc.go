// Package modkit holds what every Caddy adapter of the edge shares: the
// client IP from Caddy's trusted client_ip (ClientIP, ClientAddr,
// FromTrustedProxy), the one status-recording writer, module information
// (ModuleInfo) and releases (Cleanups), the Caddyfile directive
// registration, subdirective tables (Subdirectives) and argument
// readers, metric registration and the shared refusal and rate-limit
// breaker metrics, the shared Redis configuration and clients, the
// `caddy ocomms` command, its admin API flags and the admin API helpers,
// and the `ocomms` app's shared state as handlers see it (AppFrom,
// AuditEmitterFor).
//
// It sits below every caddymodule package: it must not import caddymodule
// or any of its handler packages (auditmod, guardmod, accessmod,
// consolemod).
package modkit
