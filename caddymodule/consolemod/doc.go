// Package consolemod is the console's Caddy adapter: the ocomms_console
// handler and its Caddyfile block, and the console's backends over the
// running edge (the guard's lockout engines, the audit log's store and
// pipeline, the shared Redis clients, Caddy's certificate cache and the
// doctor).
//
// It imports internal/modkit, package console, and auditmod and guardmod
// for their running state (those never import it); it must not import
// caddymodule or accessmod.
package consolemod
