package headers

import (
	"fmt"
	"strings"
)

// Directive is one CSP directive: its name and its source expressions, as
// written (tokens such as {nonce} and {hostport} are kept unexpanded).
type Directive struct {
	Name    string   `json:"name"`
	Sources []string `json:"sources,omitempty"`
}

// CSP is an ordered Content-Security-Policy.
type CSP []Directive

// ParseCSP parses a serialized policy ("a b; c d") into directives. It does
// not validate; call Validate for that.
func ParseCSP(s string) CSP {
	var out CSP
	for _, part := range strings.Split(s, ";") {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		out = append(out, Directive{Name: strings.ToLower(fields[0]), Sources: fields[1:]})
	}
	return out
}

// String serializes the policy with its tokens unexpanded.
func (c CSP) String() string {
	var b strings.Builder
	for i, d := range c {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(d.Name)
		for _, s := range d.Sources {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	return b.String()
}

// Get returns the directive named name and whether it exists.
func (c CSP) Get(name string) (Directive, bool) {
	for _, d := range c {
		if d.Name == name {
			return d, true
		}
	}
	return Directive{}, false
}

// With returns a copy of the policy in which directive name has the given
// sources: replaced in place if present, appended otherwise.
func (c CSP) With(name string, sources ...string) CSP {
	name = strings.ToLower(name)
	out := make(CSP, 0, len(c)+1)
	replaced := false
	for _, d := range c {
		if d.Name == name {
			out = append(out, Directive{Name: name, Sources: append([]string(nil), sources...)})
			replaced = true
			continue
		}
		out = append(out, d)
	}
	if !replaced {
		out = append(out, Directive{Name: name, Sources: append([]string(nil), sources...)})
	}
	return out
}

// Without returns a copy of the policy without directive name.
func (c CSP) Without(name string) CSP {
	name = strings.ToLower(name)
	out := make(CSP, 0, len(c))
	for _, d := range c {
		if d.Name != name {
			out = append(out, d)
		}
	}
	return out
}

// usesNonce reports whether any directive carries the {nonce} token.
func (c CSP) usesNonce() bool {
	for _, d := range c {
		for _, s := range d.Sources {
			if s == NonceToken {
				return true
			}
		}
	}
	return false
}

// knownDirectives are the CSP Level 3 directives a browser acts on, with
// whether each takes a source list.
var knownDirectives = map[string]bool{
	"default-src": true, "script-src": true, "script-src-elem": true, "script-src-attr": true,
	"style-src": true, "style-src-elem": true, "style-src-attr": true, "img-src": true,
	"font-src": true, "connect-src": true, "media-src": true, "object-src": true,
	"frame-src": true, "child-src": true, "worker-src": true, "manifest-src": true,
	"fenced-frame-src": true, "base-uri": true, "form-action": true, "frame-ancestors": true,
	"sandbox": false, "upgrade-insecure-requests": false, "block-all-mixed-content": false,
	"report-uri": false, "report-to": false, "require-trusted-types-for": false,
	"trusted-types": false, "webrtc": false,
}

// quotedKeywords are the keyword sources CSP defines (quoted).
var quotedKeywords = map[string]bool{
	"'self'": true, "'none'": true, "'unsafe-inline'": true, "'unsafe-eval'": true,
	"'strict-dynamic'": true, "'unsafe-hashes'": true, "'report-sample'": true,
	"'wasm-unsafe-eval'": true, "'inline-speculation-rules'": true, "'unsafe-allow-redirects'": true,
}

// bareKeywords are keywords people write without quotes by mistake.
var bareKeywords = map[string]bool{
	"self": true, "none": true, "unsafe-inline": true, "unsafe-eval": true,
	"strict-dynamic": true, "unsafe-hashes": true, "report-sample": true, "wasm-unsafe-eval": true,
}

// Validate checks the policy the way a careful reviewer would, and returns
// an error that says what to write instead. reportGroups are the endpoint
// names the policy may use in report-to.
func (c CSP) Validate(reportGroups ...string) error {
	seen := map[string]bool{}
	for _, d := range c {
		takesSources, known := knownDirectives[d.Name]
		if !known {
			return fmt.Errorf("unknown CSP directive %q: use one of the CSP Level 3 directives such as script-src, style-src, img-src, connect-src", d.Name)
		}
		if seen[d.Name] {
			return fmt.Errorf("CSP directive %q appears twice: browsers ignore the second one, so write it once", d.Name)
		}
		seen[d.Name] = true
		if err := validateDirective(d, takesSources, reportGroups); err != nil {
			return err
		}
	}
	return nil
}

func validateDirective(d Directive, takesSources bool, reportGroups []string) error {
	switch d.Name {
	case "upgrade-insecure-requests", "block-all-mixed-content":
		if len(d.Sources) > 0 {
			return fmt.Errorf("CSP directive %q takes no values", d.Name)
		}
		return nil
	case "report-uri":
		if len(d.Sources) == 0 {
			return fmt.Errorf("CSP directive report-uri needs a URL, e.g. report-uri /csp-report")
		}
		return nil
	case "report-to":
		if len(d.Sources) != 1 {
			return fmt.Errorf("CSP directive report-to takes exactly one endpoint name")
		}
		for _, g := range reportGroups {
			if g == d.Sources[0] {
				return nil
			}
		}
		return fmt.Errorf("CSP report-to names endpoint %q but no such reporting endpoint is configured: keep report_path on (it defines %q) or remove report-to", d.Sources[0], strings.Join(reportGroups, ", "))
	}
	if !takesSources {
		return nil
	}
	if len(d.Sources) == 0 {
		return fmt.Errorf("CSP directive %q has no sources: write 'none' to block everything", d.Name)
	}
	hasNonceOrHash, hasStrictDynamic, hasNone := false, false, false
	for _, s := range d.Sources {
		switch {
		case bareKeywords[strings.ToLower(s)]:
			return fmt.Errorf("CSP directive %q: keyword %s must be quoted: write '%s'", d.Name, s, strings.ToLower(s))
		case s == NonceToken || strings.HasPrefix(s, "'nonce-"):
			hasNonceOrHash = true
		case strings.HasPrefix(s, "'sha256-") || strings.HasPrefix(s, "'sha384-") || strings.HasPrefix(s, "'sha512-"):
			hasNonceOrHash = true
		case s == "'strict-dynamic'":
			hasStrictDynamic = true
		case s == "'none'":
			hasNone = true
		case strings.HasPrefix(s, "'"):
			if !quotedKeywords[strings.ToLower(s)] {
				return fmt.Errorf("CSP directive %q: unknown keyword source %s", d.Name, s)
			}
		case strings.ContainsAny(s, `;,"`):
			return fmt.Errorf("CSP directive %q: source %q contains a character that is not allowed (; , or \")", d.Name, s)
		}
	}
	if hasNone && len(d.Sources) > 1 {
		return fmt.Errorf("CSP directive %q: 'none' must stand alone (browsers ignore it next to other sources)", d.Name)
	}
	if hasStrictDynamic && !hasNonceOrHash {
		return fmt.Errorf("CSP directive %q: 'strict-dynamic' needs a nonce ({nonce}) or a hash in the same directive, or no script can load", d.Name)
	}
	return nil
}
