package ipallow

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// List is a set of client networks. The zero List contains nothing.
type List struct {
	prefixes []netip.Prefix
}

// ParseList parses allowlist entries: each a CIDR (10.0.0.0/8,
// 2001:db8::/32) or a single address (203.0.113.7, ::1). An entry may
// itself hold several, separated by commas or spaces, as an environment
// variable does ("10.0.0.0/8, 192.0.2.1"); empty entries are skipped, so
// an empty input is an empty List. IPv4-mapped IPv6 forms are stored as
// IPv4. The error names the first bad entry and what to write instead.
func ParseList(entries ...string) (*List, error) {
	l := &List{}
	for _, e := range entries {
		for _, f := range strings.FieldsFunc(e, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			p, err := ParseEntry(f)
			if err != nil {
				return nil, err
			}
			l.prefixes = append(l.prefixes, p)
		}
	}
	return l, nil
}

// errEntryHelp says what a valid entry looks like.
const errEntryHelp = "want a CIDR such as 10.0.0.0/8 or 2001:db8::/32, or one address such as 203.0.113.7"

// ParseEntry parses one allowlist entry into a prefix (a single address
// becomes a /32 or /128).
func ParseEntry(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, errors.New("ipallow: empty entry: " + errEntryHelp)
	}
	if strings.Contains(s, "%") {
		return netip.Prefix{}, fmt.Errorf("ipallow: entry %q: an address with a zone cannot be matched; %s", s, errEntryHelp)
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("ipallow: entry %q is not an IP address: %s", s, errEntryHelp)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("ipallow: entry %q is not a CIDR: %s", s, errEntryHelp)
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("ipallow: entry %q: an IPv4-mapped prefix needs at least 96 bits; write the IPv4 network instead", s)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("ipallow: entry %q has bits set beyond its /%d mask; did you mean %s?", s, p.Bits(), m)
	}
	return p, nil
}

// Contains reports whether a is in one of the list's networks. An
// invalid address is in none. It does not allocate.
func (l *List) Contains(a netip.Addr) bool {
	if l == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range l.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Len is the number of networks in the list.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.prefixes)
}

// String is the list as comma-separated CIDRs.
func (l *List) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(l.prefixes))
	for i, p := range l.prefixes {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// Everyone returns the entries that let any address of a family in
// (0.0.0.0/0, ::/0): such a list protects nothing for that family.
func (l *List) Everyone() []netip.Prefix {
	var out []netip.Prefix
	if l == nil {
		return nil
	}
	for _, p := range l.prefixes {
		if p.Bits() == 0 {
			out = append(out, p)
		}
	}
	return out
}
