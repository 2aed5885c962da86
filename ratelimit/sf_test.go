package ratelimit

import (
	"fmt"
	"strings"
)

// sfItem is a Structured Field (RFC 9651) list member: a string item with
// parameters, which is all RateLimit and RateLimit-Policy use.
type sfItem struct {
	name   string
	params map[string]string
}

// parseSFList parses an RFC 9651 List of String Items with Integer, Token
// or String parameters, strictly enough to catch malformed output.
func parseSFList(s string) ([]sfItem, error) {
	var out []sfItem
	for {
		s = strings.TrimLeft(s, " ")
		if !strings.HasPrefix(s, `"`) {
			return nil, fmt.Errorf("item must be a string at %q", s)
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return nil, fmt.Errorf("unterminated string")
		}
		item := sfItem{name: s[1 : 1+end], params: map[string]string{}}
		for _, c := range item.name {
			if c < 0x20 || c > 0x7e || c == '\\' {
				return nil, fmt.Errorf("bad string character %q", c)
			}
		}
		s = s[2+end:]
		for strings.HasPrefix(s, ";") {
			s = s[1:]
			i := 0
			for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_' || s[i] == '-' || s[i] == '.' || s[i] == '*') {
				i++
			}
			if i == 0 || s[0] < 'a' || s[0] > 'z' {
				return nil, fmt.Errorf("bad parameter key at %q", s)
			}
			key := s[:i]
			s = s[i:]
			if !strings.HasPrefix(s, "=") {
				item.params[key] = "?1"
				continue
			}
			s = s[1:]
			j := 0
			if strings.HasPrefix(s, "-") {
				j++
			}
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == 0 || j > 15 {
				return nil, fmt.Errorf("parameter %s: want an integer at %q", key, s)
			}
			item.params[key] = s[:j]
			s = s[j:]
		}
		out = append(out, item)
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return out, nil
		}
		if !strings.HasPrefix(s, ",") {
			return nil, fmt.Errorf("expected , at %q", s)
		}
		s = s[1:]
	}
}
