package doctor

import (
	"strings"

	"github.com/ocomms/ocomms-edge/headers"
)

// parseCSPHeaders parses every policy sent (with headers.ParseCSP):
// several headers, or several policies in one header separated by commas,
// are all enforced. Within one policy the first occurrence of a directive
// wins, as in browsers (headers.CSP.Get).
func parseCSPHeaders(values []string) []headers.CSP {
	var out []headers.CSP
	for _, v := range values {
		for _, one := range strings.Split(v, ",") {
			if strings.TrimSpace(one) != "" {
				out = append(out, headers.ParseCSP(one))
			}
		}
	}
	return out
}

// scriptSources returns the sources governing scripts: script-src, else
// default-src; ok is false when neither is set (scripts unrestricted).
func scriptSources(p headers.CSP) (srcs []string, directive string, ok bool) {
	if d, ok := p.Get("script-src"); ok {
		return d.Sources, "script-src", true
	}
	if d, ok := p.Get("default-src"); ok {
		return d.Sources, "default-src", true
	}
	return nil, "", false
}

// has reports whether sources contains token (case-insensitive).
func has(sources []string, token string) bool {
	for _, s := range sources {
		if strings.EqualFold(s, token) {
			return true
		}
	}
	return false
}

// scriptProblem says what is wrong with the policy's script sources, or ""
// when scripts are restricted with nothing unsafe.
func scriptProblem(p headers.CSP) string {
	srcs, dir, ok := scriptSources(p)
	if !ok {
		return "no script-src or default-src: any script may run"
	}
	var bad []string
	for _, tok := range []string{"'unsafe-inline'", "'unsafe-eval'"} {
		if has(srcs, tok) {
			bad = append(bad, tok)
		}
	}
	for _, s := range srcs {
		switch strings.ToLower(s) {
		case "*", "http:", "https:", "data:":
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		return dir + " allows " + strings.Join(bad, " ")
	}
	return ""
}
