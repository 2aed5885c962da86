package demoupstream

import (
	"net/http"
	"regexp"
	"strings"
)

// nonceSource is the pattern newer Next.js releases accept for a nonce
// source; anything else is ignored and the page renders without a nonce.
var nonceSource = regexp.MustCompile(`^'nonce-([A-Za-z0-9+/_-]+={0,2})'$`)

// ScriptNonceFromHeader returns the nonce Next.js's getScriptNonceFromHeader
// would take from a Content-Security-Policy value: directives are split on
// ";" and trimmed, the first one starting with "script-src " (the space
// excludes script-src-elem and script-src-attr) is used, else the first
// starting with "default-src ", and the first of its space-separated sources
// matching 'nonce-<base64>' wins. It returns "" when there is none.
func ScriptNonceFromHeader(csp string) string {
	directives := strings.Split(csp, ";")
	for i := range directives {
		directives[i] = strings.TrimSpace(directives[i])
	}
	directive := firstWithPrefix(directives, "script-src ")
	if directive == "" {
		directive = firstWithPrefix(directives, "default-src ")
	}
	if directive == "" {
		return ""
	}
	for _, source := range strings.Split(directive, " ")[1:] {
		if m := nonceSource.FindStringSubmatch(strings.TrimSpace(source)); m != nil {
			return m[1]
		}
	}
	return ""
}

// RequestNonce returns the nonce Next.js would stamp for a request: it reads
// the request's Content-Security-Policy header, falling back to
// Content-Security-Policy-Report-Only (repeated header lines are joined
// with ", " as Node.js does).
func RequestNonce(r *http.Request) string {
	csp := strings.Join(r.Header.Values("Content-Security-Policy"), ", ")
	if csp == "" {
		csp = strings.Join(r.Header.Values("Content-Security-Policy-Report-Only"), ", ")
	}
	if csp == "" {
		return ""
	}
	return ScriptNonceFromHeader(csp)
}

// firstWithPrefix returns the first element starting with prefix, or "".
func firstWithPrefix(list []string, prefix string) string {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return s
		}
	}
	return ""
}
