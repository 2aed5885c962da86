package adminaction

import "strings"

// StripQuery returns a URL (or URI reference) without its query and
// fragment, for events that record a URL from outside input: a reset link's
// ?token=, a signed download's signature, or whatever else a query carries
// never reaches the log.
func StripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}
