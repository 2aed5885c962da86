// Package password is the auth guard's password policy (SEC-04): length in
// code points and UTF-16 units as better-auth counts them, the embedded
// blocklist of common and breached passwords (blocklist/), the context
// rule (a password built on the email, the name or the site's words) and
// the zxcvbn 4.4.2 strength estimate, with the messages a person can act
// on. It owns PasswordPolicy, its options and its Refusal; the guard in the
// parent package decides when to ask it.
//
// It works on strings only: it must not import Caddy, the audit log
// (auditlog and its sinks), pgx or net/http-level packages of the edge,
// and it emits no events (the guard reports rejections through secevent).
// A password is never logged, kept or echoed in a message.
package password
