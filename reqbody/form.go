package reqbody

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// parseFormFields reads an application/x-www-form-urlencoded body as the
// WHATWG URLSearchParams parser does, refusing what could be read
// differently: duplicate names (URLSearchParams-to-object keeps the last,
// Go's Form.Get the first), names differing only in case, malformed
// percent-escapes (left as text by URLSearchParams, an error for Go), and
// bytes that are not UTF-8 after decoding (replaced by the app).
func parseFormFields(raw []byte) (map[string]string, error) {
	fields := map[string]string{}
	seen := map[string]string{}
	for _, seq := range strings.Split(string(raw), "&") {
		if seq == "" {
			continue
		}
		name, value, _ := strings.Cut(seq, "=")
		n, err := formDecode(name)
		if err != nil {
			return nil, err
		}
		v, err := formDecode(value)
		if err != nil {
			return nil, err
		}
		lower := strings.ToLower(n)
		if prev, dup := seen[lower]; dup {
			if prev == n {
				return nil, &ambiguity{fmt.Sprintf("the form body has the field %q twice", clipKey(n))}
			}
			return nil, &ambiguity{fmt.Sprintf("the form body has the fields %q and %q, which differ only in case", clipKey(prev), clipKey(n))}
		}
		seen[lower] = n
		fields[n] = v
	}
	return fields, nil
}

// formDecode turns '+' into a space and decodes %XX escapes.
func formDecode(s string) (string, error) {
	if !strings.ContainsAny(s, "+%") {
		if !utf8.ValidString(s) {
			return "", &ambiguity{"the form body is not valid UTF-8"}
		}
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			out = append(out, ' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", &ambiguity{"the form body has a malformed percent-escape"}
			}
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	if !utf8.Valid(out) {
		return "", &ambiguity{"the form body is not valid UTF-8"}
	}
	return string(out), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
