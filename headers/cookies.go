package headers

import (
	"net/http"
	"strings"
)

// hardenCookies adds the Secure attribute (over HTTPS) and SameSite=Lax
// (when no SameSite is set) to every Set-Cookie header. It never removes or
// weakens an attribute the upstream chose.
func hardenCookies(h http.Header, tls bool) {
	cookies := h["Set-Cookie"]
	for i, c := range cookies {
		cookies[i] = hardenCookie(c, tls)
	}
}

func hardenCookie(c string, tls bool) string {
	hasSecure, hasSameSite := false, false
	rest := c
	first := true
	for rest != "" {
		var attr string
		attr, rest, _ = strings.Cut(rest, ";")
		if first {
			first = false
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSpace(attr), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "secure":
			hasSecure = true
		case "samesite":
			hasSameSite = true
		}
	}
	if tls && !hasSecure {
		c += "; Secure"
	}
	if !hasSameSite {
		c += "; SameSite=Lax"
	}
	return c
}
