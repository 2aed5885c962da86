package origin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Null is the opaque origin browsers send from sandboxed frames, data:
// and file: documents and after cross-origin redirects. It is foreign:
// it names no site.
const Null = "null"

// ErrOpaque is returned for the "null" origin.
var ErrOpaque = errors.New("origin: the opaque origin null names no site")

// defaultPorts are the ports a serialised origin omits.
var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443"}

// maxOriginLen bounds what is parsed: no real origin comes close.
const maxOriginLen = 2048

// Parse returns the canonical form of a serialised origin
// (scheme://host[:port]): scheme and host lower-cased, an international
// host name in punycode (IDNA 2008 lookup rules, as browsers serialise
// it), an IPv6 literal in brackets in its canonical spelling, a default
// port (80 for http, 443 for https) dropped. A path, query, fragment,
// user info or anything else an Origin header cannot hold is an error,
// as is "null" (ErrOpaque).
func Parse(s string) (string, error) {
	if s == Null {
		return "", ErrOpaque
	}
	if len(s) > maxOriginLen {
		return "", errors.New("origin: too long")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return "", fmt.Errorf("origin %q: want scheme://host[:port]", s)
	}
	if !validScheme(scheme) {
		return "", fmt.Errorf("origin %q: scheme %q is not a URL scheme", s, scheme)
	}
	scheme = strings.ToLower(scheme)
	if rest == "" {
		return "", fmt.Errorf("origin %q: no host", s)
	}
	if i := strings.IndexAny(rest, "/?#@\\ \t\r\n"); i >= 0 {
		return "", fmt.Errorf("origin %q: an origin has no path, query, fragment, user info or spaces", s)
	}
	host, port, err := splitHostPort(rest)
	if err != nil {
		return "", fmt.Errorf("origin %q: %w", s, err)
	}
	host, err = canonicalHost(host)
	if err != nil {
		return "", fmt.Errorf("origin %q: %w", s, err)
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return "", fmt.Errorf("origin %q: port %q is not a number from 1 to 65535", s, port)
		}
		port = strconv.FormatUint(n, 10)
		if defaultPorts[scheme] == port {
			port = ""
		}
	}
	out := scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

// validScheme checks RFC 3986's scheme syntax.
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// splitHostPort splits host[:port] and [v6][:port].
func splitHostPort(hp string) (host, port string, err error) {
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", "", errors.New("unclosed [ in an IPv6 host")
		}
		host, rest := hp[:end+1], hp[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' || len(rest) == 1 {
			return "", "", errors.New("junk after an IPv6 host")
		}
		return host, rest[1:], nil
	}
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		if i == len(hp)-1 {
			return "", "", errors.New("empty port")
		}
		return hp[:i], hp[i+1:], nil
	}
	return hp, "", nil
}

// canonicalHost lower-cases a host, checks an IPv6 literal and turns an
// international name into punycode.
func canonicalHost(h string) (string, error) {
	if h == "" {
		return "", errors.New("no host")
	}
	if strings.HasPrefix(h, "[") {
		inner := h[1 : len(h)-1]
		if strings.Contains(inner, "%") {
			return "", errors.New("an IPv6 zone cannot be part of an origin")
		}
		a, err := parseIPv6(inner)
		if err != nil {
			return "", err
		}
		return "[" + a + "]", nil
	}
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii && isLowerHostASCII(h) {
		return h, nil
	}
	if !utf8.ValidString(h) {
		return "", errors.New("host is not valid UTF-8")
	}
	out, err := idna.Lookup.ToASCII(h)
	if err != nil {
		return "", fmt.Errorf("host %q is not a valid domain name: %w", h, err)
	}
	// The result must itself be a valid name (so the canonical form
	// parses to itself).
	if again, err := idna.Lookup.ToASCII(out); err != nil || again != out || out == "" || !isLowerHostASCII(strings.ReplaceAll(out, "xn--", "")) {
		return "", fmt.Errorf("host %q is not a valid domain name", h)
	}
	return out, nil
}

// isLowerHostASCII reports whether h needs no normalisation: lower-case
// letters, digits, '-', '.' and no label that could be punycode needing a
// check ("xn--" labels go through IDNA).
func isLowerHostASCII(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return !strings.Contains(h, "xn--")
}
