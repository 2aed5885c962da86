package ipallow

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseList(t *testing.T) {
	l, err := ParseList("10.0.0.0/8, 192.0.2.7", "2001:db8::/32", "", "::1 ::ffff:198.51.100.0/120")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.String(), "10.0.0.0/8,192.0.2.7/32,2001:db8::/32,::1/128,198.51.100.0/24"; got != want {
		t.Fatalf("list %s, want %s", got, want)
	}
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"10.1.2.3", true}, {"11.0.0.1", false}, {"192.0.2.7", true}, {"192.0.2.8", false},
		{"2001:db8:1::5", true}, {"2001:db9::1", false}, {"::1", true}, {"::2", false},
		{"198.51.100.200", true}, {"::ffff:10.9.9.9", true}, {"::ffff:11.9.9.9", false},
		{"fe80::1%eth0", false}, {"2001:db8::1%eth0", true},
	} {
		if got := l.Contains(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("Contains(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
	if l.Contains(netip.Addr{}) {
		t.Error("the invalid address must be in no network")
	}
	var nilList *List
	if nilList.Contains(netip.MustParseAddr("10.0.0.1")) || nilList.Len() != 0 {
		t.Error("a nil list contains nothing")
	}
}

func TestParseListEmptyIsOff(t *testing.T) {
	l, err := ParseList("", " , ")
	if err != nil || l.Len() != 0 {
		t.Fatalf("%v %v", l, err)
	}
}

func TestParseEntryErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10.0.0.300", `entry "10.0.0.300" is not an IP address`},
		{"10.0.0.0/33", `entry "10.0.0.0/33" is not a CIDR`},
		{"10.0.0.1/8", "did you mean 10.0.0.0/8?"},
		{"2001:db8::1/32", "did you mean 2001:db8::/32?"},
		{"fe80::1%eth0", "zone"},
		{"example.com", "not an IP address"},
		{"::ffff:10.0.0.0/90", "at least 96 bits"},
		{"10.0.0.0/", "not a CIDR"},
	} {
		_, err := ParseEntry(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseEntry(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
		if _, err := ParseList("192.0.2.1," + tc.in); err == nil {
			t.Errorf("ParseList accepted %q", tc.in)
		}
	}
}

func TestEveryone(t *testing.T) {
	l, err := ParseList("0.0.0.0/0,10.0.0.0/8,::/0")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Everyone(); len(got) != 2 || got[0].String() != "0.0.0.0/0" || got[1].String() != "::/0" {
		t.Fatalf("Everyone %v", got)
	}
}

func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "::1", "::ffff:1.2.3.4/120", "1.2.3.4", "fe80::1%x", "2001:db8::/32"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseEntry(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p.Masked() != p || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("ParseEntry(%q) = %v: not a canonical prefix", s, p)
		}
		again, err := ParseEntry(p.String())
		if err != nil || again != p {
			t.Fatalf("%q → %v does not round-trip: %v %v", s, p, again, err)
		}
		l := &List{prefixes: []netip.Prefix{p}}
		if !l.Contains(p.Addr()) {
			t.Fatalf("%v does not contain its own address", p)
		}
	})
}
