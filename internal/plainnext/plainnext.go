// Package plainnext lets a capability that serves Caddy-style (a handler
// whose next step returns an error) run in front of a plain net/http
// handler: the capabilities' Handler adapters (authguard, ipallow) wrap
// their next http.Handler in a Next. It imports only the standard library
// (no Caddy, no audit log, no pgx).
package plainnext

import "net/http"

// Next is a plain http.Handler as the rest of a handler chain: it serves
// with H and never fails. It satisfies every capability's NextHandler.
type Next struct {
	H http.Handler
}

// ServeHTTP serves with H and returns nil.
func (n Next) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	n.H.ServeHTTP(w, r)
	return nil
}
