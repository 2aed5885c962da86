package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/ocomms/ocomms-edge/reqbody"
)

// key hashes the zone's key parts for r (kind, value, kind, value…) and
// reports whether every part was present. A body part that cannot be read,
// or is missing, refuses the request (refusal): a body-keyed zone fails
// closed. The parts and the grouped
// addresses live in this function's frame: building a key allocates
// nothing for client-IP keys.
func (z *Zone) key(h *Hasher, r *http.Request, clientIP string, body *bodyFields) (KeyHash, bool, *reqbody.Refusal) {
	var parts [2 * maxKeySources][]byte
	var ipBuf [maxKeySources][ipKeyLen]byte
	n := 0
	for i, k := range z.Key {
		if i >= maxKeySources {
			return KeyHash{}, false, nil // refused by validate
		}
		var v []byte
		switch k.Kind {
		case KeyClientIP:
			v = groupIP(clientIP, z.IPv4Prefix, z.IPv6Prefix, &ipBuf[i])
		case KeyHeader:
			hv := strings.TrimSpace(r.Header.Get(k.Name))
			if hv == "" {
				return KeyHash{}, false, nil
			}
			v = []byte(hv)
		case KeyCookie:
			c, err := r.Cookie(k.Name)
			if err != nil || c.Value == "" {
				return KeyHash{}, false, nil
			}
			v = []byte(c.Value)
		case KeyBody:
			f, refusal := body.get(r, k.Name)
			if refusal != nil {
				return KeyHash{}, false, refusal
			}
			v = []byte(strings.ToLower(strings.TrimSpace(f)))
		}
		parts[n], parts[n+1] = kindBytes(k.Kind), v
		n += 2
	}
	return h.Sum(z.Name, parts[:n]...), true, nil
}

// maxKeySources is how many sources one zone's key may combine.
const maxKeySources = 4

// ipKeyLen is the length of a grouped address: 16 bytes and the prefix.
const ipKeyLen = 17

// groupIP returns the address masked to its group's prefix, in 16-byte
// form followed by the prefix length, in out, so that every address of an
// IPv6 /64 shares one key. IPv4-mapped IPv6 addresses count as IPv4. An
// unparseable address is used as given.
func groupIP(s string, v4Prefix, v6Prefix int, out *[ipKeyLen]byte) []byte {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return []byte(s)
	}
	addr = addr.Unmap().WithZone("")
	bits := v6Prefix
	if addr.Is4() {
		bits = v4Prefix
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return []byte(s)
	}
	b := p.Addr().As16()
	copy(out[:], b[:])
	out[16] = byte(bits)
	return out[:]
}

// kindBytes is a key kind's name as bytes, without allocating for the
// known kinds.
func kindBytes(k KeyKind) []byte {
	switch k {
	case KeyClientIP:
		return kindClientIP
	case KeyHeader:
		return kindHeader
	case KeyCookie:
		return kindCookie
	case KeyBody:
		return kindBody
	}
	return []byte(k)
}

var (
	kindClientIP = []byte(KeyClientIP)
	kindHeader   = []byte(KeyHeader)
	kindCookie   = []byte(KeyCookie)
	kindBody     = []byte(KeyBody)
)
