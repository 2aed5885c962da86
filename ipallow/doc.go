// Package ipallow is the admin IP allowlist (SEC-10): a list of client
// networks (IPv4 and IPv6 CIDRs, single addresses), the rules that say
// which requests are administrative (the ocomms preset: the app's
// /api/admin/ API, better-auth's admin plugin under /api/auth/admin/ and
// the Next.js server actions of the admin pages), and a handler that
// answers 403 JSON to an administrative request from a client outside the
// list, before anything reaches the app.
//
// It works on net/http alone. The client address comes from the caller
// (Caddy's trusted client_ip, through the adapter), never from a request
// header. It must not import Caddy, the audit log or a database driver:
// refusals are reported through a secevent.Emitter.
package ipallow
