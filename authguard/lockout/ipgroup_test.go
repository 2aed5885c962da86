package lockout

import (
	"bytes"
	"net/netip"
	"testing"
)

// TestIPGroup: IPv4 and its IPv4-mapped form are one group, an IPv6 /64
// is one group, the next /64 another.
func TestIPGroup(t *testing.T) {
	g := func(s string) []byte { return IPGroup(netip.MustParseAddr(s)) }
	if !bytes.Equal(g("192.0.2.7"), g("::ffff:192.0.2.7")) || len(g("192.0.2.7")) != 4 {
		t.Errorf("IPv4 %x, mapped %x", g("192.0.2.7"), g("::ffff:192.0.2.7"))
	}
	if bytes.Equal(g("192.0.2.7"), g("192.0.2.8")) {
		t.Error("two IPv4 addresses share a group")
	}
	if !bytes.Equal(g("2001:db8:1:2::1"), g("2001:db8:1:2:ffff::9")) || len(g("2001:db8:1:2::1")) != 8 {
		t.Errorf("one /64: %x %x", g("2001:db8:1:2::1"), g("2001:db8:1:2:ffff::9"))
	}
	if bytes.Equal(g("2001:db8:1:2::1"), g("2001:db8:1:3::1")) {
		t.Error("two /64s share a group")
	}
	if string(IPGroup(netip.Addr{})) != "invalid" {
		t.Errorf("invalid address: %q", IPGroup(netip.Addr{}))
	}
}
