package reqbody

import "net/http"

// Kind is how an accepted body is read.
type Kind uint8

const (
	// None: no body (and no Content-Type, or an empty body).
	None Kind = iota
	// JSON: application/json.
	JSON
	// Form: application/x-www-form-urlencoded.
	Form
)

// Canonical media types, the only Content-Type values forwarded for
// inspected bodies.
const (
	MediaJSON = "application/json"
	MediaForm = "application/x-www-form-urlencoded"
)

// String is the canonical media type of the kind ("" for None).
func (k Kind) String() string {
	switch k {
	case JSON:
		return MediaJSON
	case Form:
		return MediaForm
	}
	return ""
}

// ParseMediaType reads the Content-Type header lines of a request in the
// edge's one strict form and returns the kind it names. values are all
// the request's Content-Type lines (r.Header.Values). No line at all is
// None. It refuses (415) more than one line, any byte outside printable
// ASCII, anything but one type/subtype token pair with at most one
// charset=utf-8 parameter, and a media type other than JSON, or form when
// allowForm.
func ParseMediaType(values []string, allowForm bool) (Kind, *Refusal) {
	switch len(values) {
	case 0:
		return None, nil
	case 1:
	default:
		return None, unsupported("The request has more than one Content-Type header.", allowForm)
	}
	essence, ok := strictEssence(values[0])
	if !ok {
		return None, unsupported("The Content-Type header is not a single media type such as application/json.", allowForm)
	}
	switch {
	case essence == MediaJSON:
		return JSON, nil
	case essence == MediaForm && allowForm:
		return Form, nil
	}
	return None, unsupported("Content-Type \""+essence+"\" is not allowed.", allowForm)
}

func unsupported(msg string, allowForm bool) *Refusal {
	allowed := MediaJSON
	if allowForm {
		allowed = MediaJSON + ", " + MediaForm
	}
	return Refuse(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, ReasonMediaType,
		msg+" Allowed types: "+allowed+".")
}

// strictEssence returns the lower-cased type/subtype of v when v is
// exactly OWS type "/" subtype [ OWS ";" OWS charset=utf-8 ] OWS in
// printable ASCII (RFC 9110 §8.3.1 tokens; the parameter value may be
// quoted), and false otherwise. It does not allocate for a value already
// in lower case.
func strictEssence(v string) (string, bool) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c > 0x7e {
			return "", false
		}
	}
	v = trimOWS(v)
	base, param, hasParam := cut(v, ';')
	base = trimOWS(base)
	slash := -1
	for i := 0; i < len(base); i++ {
		c := base[i]
		if c == '/' {
			if slash >= 0 {
				return "", false
			}
			slash = i
			continue
		}
		if !isTokenChar(c) {
			return "", false
		}
	}
	if slash <= 0 || slash == len(base)-1 {
		return "", false
	}
	if hasParam && !isCharsetUTF8(trimOWS(param)) {
		return "", false
	}
	return lowerASCII(base), true
}

// isCharsetUTF8 reports whether p is charset=utf-8, case-insensitively,
// with the value bare or quoted.
func isCharsetUTF8(p string) bool {
	name, value, ok := cut(p, '=')
	if !ok || !equalFoldASCII(name, "charset") {
		return false
	}
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	return equalFoldASCII(value, "utf-8")
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
