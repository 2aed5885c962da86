package headers

import "strings"

// NonceToken is the source expression that stands for this request's nonce
// in a policy: it is written out as 'nonce-<value>'.
const NonceToken = "{nonce}"

// HostToken stands for the request's host (with port) inside a header value,
// e.g. wss://{hostport}. Hosts that are not plain host[:port] are dropped.
const HostToken = "{hostport}"

type segmentKind uint8

const (
	literal segmentKind = iota
	nonceSegment
	hostSegment
)

type segment struct {
	kind segmentKind
	text string
}

// template is a header value compiled once, expanded per request.
type template struct {
	segments []segment
	size     int // bytes of literal text
	dynamic  bool
}

func compileTemplate(s string) template {
	var t template
	for len(s) > 0 {
		ni := strings.Index(s, NonceToken)
		hi := strings.Index(s, HostToken)
		next, kind, tokLen := -1, literal, 0
		if ni >= 0 && (hi < 0 || ni < hi) {
			next, kind, tokLen = ni, nonceSegment, len(NonceToken)
		} else if hi >= 0 {
			next, kind, tokLen = hi, hostSegment, len(HostToken)
		}
		if next < 0 {
			t.segments = append(t.segments, segment{kind: literal, text: s})
			t.size += len(s)
			break
		}
		if next > 0 {
			t.segments = append(t.segments, segment{kind: literal, text: s[:next]})
			t.size += next
		}
		t.segments = append(t.segments, segment{kind: kind})
		t.dynamic = true
		s = s[next+tokLen:]
	}
	return t
}

// expand writes the value for one request. host must already be sanitized.
func (t *template) expand(nonce, host string) string {
	if !t.dynamic {
		if len(t.segments) == 0 {
			return ""
		}
		return t.segments[0].text
	}
	var b strings.Builder
	b.Grow(t.size + 4*(len(nonce)+len(host)))
	for _, seg := range t.segments {
		switch seg.kind {
		case literal:
			b.WriteString(seg.text)
		case nonceSegment:
			b.WriteString("'nonce-")
			b.WriteString(nonce)
			b.WriteByte('\'')
		case hostSegment:
			b.WriteString(host)
		}
	}
	return b.String()
}

// sanitizeHost returns host if it is a plain host[:port] (letters, digits,
// dots, hyphens, an IPv6 literal in brackets, an optional port) and "" if
// not, so that a forged Host header cannot inject into a policy.
func sanitizeHost(host string) string {
	if host == "" || len(host) > 255 {
		return ""
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return ""
		}
	}
	return host
}
