package secevent

import (
	"net/http"
	"strings"
)

// FromRequest fills e's request fields from r: the client IP the caller
// resolved (Caddy's trusted client_ip, never a header), the user agent as
// sent, the method and the path without its query. Lengths are capped once,
// by the audit log, for every producer alike.
func FromRequest(r *http.Request, clientIP string, e Event) Event {
	e.SourceIP = clientIP
	e.UserAgent = r.UserAgent()
	e.Method = r.Method
	e.Path = r.URL.Path
	return e
}

// StripQuery returns a URL (or URI reference) without its query and
// fragment: an event never records a query, which may carry a token.
func StripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}
