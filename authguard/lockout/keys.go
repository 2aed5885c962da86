package lockout

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"

	"github.com/ocomms/ocomms-edge/internal/jscase"
)

// lockKeyer derives the lockout's keys from the secret. Every use has its
// own key, HMAC(secret, label), so a device-cookie signature can never be
// replayed as an account key or a recovery signature, and none of them is
// the configured secret itself.
type lockKeyer struct {
	account, session, ip, device, recovery []byte
}

func newLockKeyer(secret []byte) lockKeyer {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("ocomms-edge lockout v1 " + label))
		return m.Sum(nil)
	}
	return lockKeyer{
		account:  derive("account"),
		session:  derive("session"),
		ip:       derive("ip"),
		device:   derive("device-cookie"),
		recovery: derive("recovery-cookie"),
	}
}

// sum is 128 bits of HMAC-SHA256 over length-prefixed parts, the
// construction ratelimit.Hasher uses.
func sum(key []byte, parts ...[]byte) [16]byte {
	m := hmac.New(sha256.New, key)
	var n [4]byte
	for _, p := range parts {
		l := len(p)
		n[0], n[1], n[2], n[3] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
		m.Write(n[:])
		m.Write(p)
	}
	var out [16]byte
	copy(out[:], m.Sum(nil))
	return out
}

// accountKey is the hex key of an email: HMAC of its JavaScript
// toLowerCase, untrimmed, as better-auth looks users up.
func (k lockKeyer) accountKey(email string) string {
	s := sum(k.account, []byte(jscase.ToLower(email)))
	return hex.EncodeToString(s[:])
}

// sessionKey is the hex key of a session cookie value.
func (k lockKeyer) sessionKey(session string) string {
	s := sum(k.session, []byte(session))
	return hex.EncodeToString(s[:])
}

// ipKey is the hex key of an IP's group: IPv4 (IPv4-mapped IPv6
// included) as itself, IPv6 by its /64.
func (k lockKeyer) ipKey(ip netip.Addr) string {
	s := sum(k.ip, IPGroup(ip))
	return hex.EncodeToString(s[:])
}

// IPGroup is the bytes that name an address's group, the unit the spray
// control (and the two-factor guard's per-IP budget) counts by: IPv4
// (IPv4-mapped IPv6 included) as itself, IPv6 by its /64, an invalid
// address as "invalid".
func IPGroup(ip netip.Addr) []byte {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return []byte("invalid")
	}
	if ip.Is4() {
		b := ip.As4()
		return b[:]
	}
	p, _ := ip.Prefix(64)
	b := p.Addr().As16()
	return b[:8]
}

// AccountKey is the key under which the lockout keeps an email (the
// account_key label of its events and what UnlockKey takes), so that the
// guard's other events name the account the same way.
func (l *Lockout) AccountKey(email string) string { return l.keys.accountKey(email) }
