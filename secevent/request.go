package secevent

import (
	"net/http"
	"net/netip"
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

// SourceIP is the source IP an event records for a resolved client
// address: its text, or "" when the address is unknown (not valid).
func SourceIP(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// AccessDenied is the event of a request an access rule refused with 403
// (ActionAccessDenied, a failure): a client address outside an allowlist,
// a foreign Origin. reason is the refusal's code and labels say which rule
// refused and on what; the request fields are filled as by FromRequest.
func AccessDenied(r *http.Request, clientIP netip.Addr, reason string, labels map[string]string) Event {
	return FromRequest(r, SourceIP(clientIP), Event{
		Action:  ActionAccessDenied,
		Outcome: OutcomeFailure,
		Reason:  reason,
		Status:  http.StatusForbidden,
		Labels:  labels,
	})
}

// StripQuery returns a URL (or URI reference) without its query and
// fragment: an event never records a query, which may carry a token.
func StripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// Printable clips s to at most max bytes and replaces every character outside
// printable ASCII, space included, with '_': for what a request supplied
// (a path, an Origin, a form field) before it goes into an event's labels
// or a log line, where it must neither forge a line nor run long.
func Printable(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}
