// Package auditmod is the audit log's Caddy adapter: the ocomms_audit
// handler (admin actions with their actor and outcome), the audit part of
// the `ocomms` app (its settings, the shared pipeline kept across reloads,
// certificate events, statistics and metrics), the /ocomms/audit/ admin
// API and `caddy ocomms audit …`. The app itself lives in package
// caddymodule, which holds a State and calls it.
//
// It imports internal/modkit and the audit log's packages; it must not
// import caddymodule or the other handler packages (guardmod, accessmod,
// consolemod), nor put policy here that belongs in auditlog or
// adminaction.
package auditmod
