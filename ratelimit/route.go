package ratelimit

import (
	"net/http"
	"strings"
)

// MatchRoute returns a zone matcher for requests with one of the methods
// (none: any method) and a path equal to one of paths, or under it when the
// path ends in * ("/api/admin/*"). It is how presets match without Caddy;
// Caddyfile zones use Caddy's request matchers instead.
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
		p := r.URL.Path
		for _, want := range paths {
			if prefix, ok := strings.CutSuffix(want, "*"); ok {
				if strings.HasPrefix(p, prefix) {
					return true, nil
				}
			} else if p == want {
				return true, nil
			}
		}
		return false, nil
	}
}
