// Package console owns the operator security console: a small web page,
// served from embedded assets, that shows an edge's lockouts, security
// events, charts of attacks over the last hour or day, CSP reports grouped
// by directive and blocked URI, and the health of its stores, and that can
// unlock an account.
//
// It works at the net/http level over the small interfaces in backend.go
// (Lockouts, Events, Health, Verifier, Authorizer); the Caddy adapter
// (caddymodule/console*.go) fills them from the running modules. It must
// not import Caddy, the audit log or its sinks, or a database driver; it
// emits its own audit events through a secevent.Emitter.
//
// Every answer to the page is free of secrets: no key, token, cookie or
// password, and accounts appear as their keyed email hash unless the
// operator types the email, which is then matched by its hash.
package console
