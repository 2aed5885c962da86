package lockout

import (
	"net/netip"
	"testing"
)

func TestLockKeys(t *testing.T) {
	k := newLockKeyer(testSecret)
	if k.accountKey("A@x.io") != k.accountKey("a@x.io") || k.accountKey("a@x.io") == k.accountKey("a@x.io ") {
		t.Fatal("account keys do not follow toLowerCase, untrimmed")
	}
	if k.accountKey("a@x.io") == newLockKeyer([]byte("another-secret-123")).accountKey("a@x.io") {
		t.Fatal("account key does not depend on the secret")
	}
	same := [][2]string{
		{"2001:db8::1", "2001:db8::ffff:1"},
		{"192.0.2.1", "::ffff:192.0.2.1"},
		{"fe80::1%eth0", "fe80::2"},
	}
	for _, p := range same {
		if k.ipKey(netip.MustParseAddr(p[0])) != k.ipKey(netip.MustParseAddr(p[1])) {
			t.Errorf("%s and %s in different spray groups", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"2001:db8::1", "2001:db8:0:1::1"}, {"192.0.2.1", "192.0.2.2"}} {
		if k.ipKey(netip.MustParseAddr(p[0])) == k.ipKey(netip.MustParseAddr(p[1])) {
			t.Errorf("%s and %s in one spray group", p[0], p[1])
		}
	}
	if string(k.device) == string(k.recovery) || string(k.device) == string(testSecret) {
		t.Fatal("cookie keys are not separate derivations")
	}
}
