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
	segments   []segment
	size       int // bytes of literal text
	nonceSlots int // nonce segments
	hostSlots  int // host segments
	dynamic    bool
}

// noncePrefix and nonceSuffix surround a nonce in a source list.
const (
	noncePrefix = "'nonce-"
	nonceSuffix = "'"
)

// upstreamNoncePrefix starts the request header value that hands the
// nonce to the upstream: the one directive Next.js reads it from.
const upstreamNoncePrefix = "script-src " + noncePrefix

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
		if kind == nonceSegment {
			t.nonceSlots++
		} else {
			t.hostSlots++
		}
		t.dynamic = true
		s = s[next+tokLen:]
	}
	return t
}

// expand writes the value for one request with one allocation: nonce
// (encoded; nil when the template has no nonce slot) in every nonce slot
// and host (already sanitized) in every host slot. It returns the value
// and the offset of the first nonce in it, -1 if none, so that the nonce
// can be a substring of the value rather than a string of its own. With
// upstream set and a nonce given, the same allocation also holds
// `script-src 'nonce-…'`, returned as up: the request header value that
// hands the nonce to the upstream (see Policy.Begin).
func (t *template) expand(nonce []byte, host string, upstream bool) (value, up string, at int) {
	if !t.dynamic {
		if len(t.segments) == 0 {
			return "", "", -1
		}
		return t.segments[0].text, "", -1
	}
	upstream = upstream && nonce != nil
	var b strings.Builder
	size := t.size + t.nonceSlots*(len(noncePrefix)+len(nonce)+len(nonceSuffix)) + t.hostSlots*len(host)
	if upstream {
		size += len(upstreamNoncePrefix) + len(nonce) + len(nonceSuffix)
	}
	b.Grow(size)
	at = -1
	for _, seg := range t.segments {
		switch seg.kind {
		case literal:
			b.WriteString(seg.text)
		case nonceSegment:
			b.WriteString(noncePrefix)
			if at < 0 {
				at = b.Len()
			}
			b.Write(nonce)
			b.WriteString(nonceSuffix)
		case hostSegment:
			b.WriteString(host)
		}
	}
	end := b.Len()
	if upstream {
		b.WriteString(upstreamNoncePrefix)
		b.Write(nonce)
		b.WriteString(nonceSuffix)
	}
	all := b.String()
	return all[:end], all[end:], at
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
