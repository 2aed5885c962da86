package doctor

import "strings"

// cspPolicy is one parsed Content-Security-Policy: directive name → sources.
type cspPolicy map[string][]string

// parseCSP parses one policy. Directive names are lower-cased; the first
// occurrence of a directive wins, as in browsers.
func parseCSP(v string) cspPolicy {
	p := cspPolicy{}
	for _, part := range strings.Split(v, ";") {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		name := strings.ToLower(fields[0])
		if _, dup := p[name]; dup {
			continue
		}
		p[name] = fields[1:]
	}
	return p
}

// parseCSPHeaders parses every policy sent: several headers, or several
// policies in one header separated by commas, are all enforced.
func parseCSPHeaders(values []string) []cspPolicy {
	var out []cspPolicy
	for _, v := range values {
		for _, one := range strings.Split(v, ",") {
			if strings.TrimSpace(one) != "" {
				out = append(out, parseCSP(one))
			}
		}
	}
	return out
}

// scriptSources returns the sources governing scripts: script-src, else
// default-src; ok is false when neither is set (scripts unrestricted).
func (p cspPolicy) scriptSources() (srcs []string, directive string, ok bool) {
	if s, ok := p["script-src"]; ok {
		return s, "script-src", true
	}
	if s, ok := p["default-src"]; ok {
		return s, "default-src", true
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
func (p cspPolicy) scriptProblem() string {
	srcs, dir, ok := p.scriptSources()
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
