package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/ocomms/ocomms-edge/reqbody"
)

// keyMaterial appends the zone's key parts for r to parts and reports
// whether every part was present. A body part that cannot be read, or is
// missing, refuses the request (refusal): a body-keyed zone fails closed.
func (z *Zone) keyMaterial(r *http.Request, clientIP string, body *bodyFields, parts [][]byte) ([][]byte, bool, *reqbody.Refusal) {
	for _, k := range z.Key {
		var v []byte
		switch k.Kind {
		case KeyClientIP:
			v = groupIP(clientIP, z.IPv4Prefix, z.IPv6Prefix)
		case KeyHeader:
			h := strings.TrimSpace(r.Header.Get(k.Name))
			if h == "" {
				return parts, false, nil
			}
			v = []byte(h)
		case KeyCookie:
			c, err := r.Cookie(k.Name)
			if err != nil || c.Value == "" {
				return parts, false, nil
			}
			v = []byte(c.Value)
		case KeyBody:
			f, refusal := body.get(r, k.Name)
			if refusal != nil {
				return parts, false, refusal
			}
			v = []byte(strings.ToLower(strings.TrimSpace(f)))
		}
		parts = append(parts, []byte(k.Kind), v)
	}
	return parts, true, nil
}

// groupIP returns the address masked to its group's prefix, in 16-byte
// form, so that every address of an IPv6 /64 shares one key. IPv4-mapped
// IPv6 addresses count as IPv4. An unparseable address is used as given.
func groupIP(s string, v4Prefix, v6Prefix int) []byte {
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
	out := make([]byte, 17)
	copy(out, b[:])
	out[16] = byte(bits)
	return out
}
