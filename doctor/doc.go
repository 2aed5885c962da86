// Package doctor checks a running OComms edge deployment from the outside,
// the way a browser, the app and an operator see it: the HTTP→HTTPS
// redirect, the security headers on normal, error and rate-limited
// responses, the served certificate, the admin API, Redis, PostgreSQL and
// whether the app's own database connection enforces TLS (SEC-05).
//
// It works at the net/http, crypto/tls, Redis and PostgreSQL protocol
// level and imports nothing from Caddy; `caddy ocomms doctor` (package
// caddymodule) is a thin command-line adapter over Run. It reads a CSP
// with headers.ParseCSP, so the edge and the doctor agree on what a policy
// says.
//
// Every check produces one Result with a Status and, for anything but a
// pass, a Fix saying what to change. Secrets are never reported: URLs are
// redacted before they reach a Result, and errors from drivers are
// scrubbed of any password they might echo.
package doctor
