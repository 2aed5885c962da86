package authguard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
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
	s := sum(k.account, []byte(jsToLower(email)))
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
	s := sum(k.ip, ipGroup(ip))
	return hex.EncodeToString(s[:])
}

// ipGroup is the spray-control group of an address.
func ipGroup(ip netip.Addr) []byte {
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

// jsToLower lower-cases s as JavaScript's String.prototype.toLowerCase
// does (locale-independent Unicode default case conversion): simple
// lowercase mappings, plus the two unconditional and contextual rules of
// SpecialCasing.txt that toLowerCase applies: U+0130 becomes "i̇" (i and
// U+0307) and a capital sigma in final position becomes ς. Invalid UTF-8
// (which the body readers refuse before this point) is kept as is.
func jsToLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ':
			if finalSigma(s, i, i+n) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += n
	}
	return b.String()
}

// finalSigma is the Final_Sigma condition of Unicode §3.13: a cased letter
// (skipping case-ignorables) before, and none after.
func finalSigma(s string, start, end int) bool {
	before := false
	for i := start; i > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		i -= n
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for i := end; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

// cased is the Unicode Cased property.
func cased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// caseIgnorable is the Unicode Case_Ignorable property: Mn, Me, Cf, Lm,
// Sk, and Word_Break MidLetter, MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00B7', '\u0387', '\u055F', '\u05F4', '\u2018', '\u2019', '\u2024',
		'\u2027', '\uFE13', '\uFE52', '\uFE55', '\uFF07', '\uFF0E', '\uFF1A':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
