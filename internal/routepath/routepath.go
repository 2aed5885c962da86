// Package routepath compares request paths with path prefixes the way the
// app's router sees them: ignoring case, and after the cleaning a router
// may apply ("//", dot segments, backslashes), so that no spelling the
// router still routes slips past a rule written for the clean path.
package routepath

import (
	"path"
	"strings"
)

// Under reports whether p is prefix or below it, ignoring case.
func Under(p, prefix string) bool {
	n := len(prefix)
	return len(p) >= n && strings.EqualFold(p[:n], prefix) && (len(p) == n || p[n] == '/')
}

// NeedsClean reports whether p has a spelling a router may normalise:
// "//", a dot segment, a backslash (WHATWG URL parsing, which Next.js
// uses, reads it as "/"), or no leading slash. A clean path is compared
// as it is, without allocating.
func NeedsClean(p string) bool {
	if p == "" || p[0] != '/' {
		return true
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			return true
		case '/':
			if i+1 < len(p) && (p[i+1] == '/' || p[i+1] == '.') {
				return true
			}
		}
	}
	return false
}

// Clean normalises p as a router would before routing it: backslashes
// read as "/", a leading "/" added, then path.Clean.
func Clean(p string) string {
	return path.Clean("/" + strings.ReplaceAll(p, "\\", "/"))
}
