package ratelimit

import (
	"net/http"
	"path"
	"strings"
)

// MatchRoute returns a zone matcher for requests with one of the methods
// (none: any method) and a path equal to one of paths, or under it when the
// path ends in * ("/api/admin/*"). Paths compare as the app resolves them:
// dot segments, repeated and trailing slashes cleaned, and case ignored (so
// /api/auth/./sign-in/email and /API/Auth//sign-in/email/ stay in the
// sign-in zones; an app that routes case-sensitively only makes that
// stricter than needed). It is how presets match without Caddy; Caddyfile
// zones use Caddy's request matchers, which clean paths the same way.
func MatchRoute(methods []string, paths ...string) func(*http.Request) (bool, error) {
	return func(r *http.Request) (bool, error) {
		if len(methods) > 0 {
			found := false
			for _, m := range methods {
				if r.Method == m {
					found = true
					break
				}
			}
			if !found {
				return false, nil
			}
		}
		p := cleanPath(r.URL.Path)
		for _, want := range paths {
			if prefix, ok := strings.CutSuffix(want, "*"); ok {
				if len(p) >= len(prefix) && strings.EqualFold(p[:len(prefix)], prefix) {
					return true, nil
				}
			} else if strings.EqualFold(p, want) {
				return true, nil
			}
		}
		return false, nil
	}
}

// cleanPath is path.Clean for request paths, without allocating for a path
// that is already clean: no "//", no "." or ".." segment, no trailing
// slash.
func cleanPath(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		if rest == "" && i > 0 || strings.HasPrefix(rest, "/") || rest == "." || rest == ".." ||
			strings.HasPrefix(rest, "./") || strings.HasPrefix(rest, "../") {
			return path.Clean("/" + p)
		}
	}
	return p
}
