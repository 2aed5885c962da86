package origin

import (
	"errors"
	"net/netip"
)

// parseIPv6 returns the canonical text of an IPv6 literal.
func parseIPv6(s string) (string, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return "", errors.New("not an IPv6 address in brackets")
	}
	return a.String(), nil
}
