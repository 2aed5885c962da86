package ratelimit

import (
	"fmt"
	"net/http"
	"regexp"
)

// KeyKind names where a zone's key comes from.
type KeyKind string

// Key sources.
const (
	// KeyClientIP is the client IP the proxy trusts (Caddy's client_ip),
	// grouped by prefix: IPv6 by /64 unless configured, IPv4 by /32.
	KeyClientIP KeyKind = "client_ip"
	// KeyHeader is a request header's value.
	KeyHeader KeyKind = "header"
	// KeyCookie is a request cookie's value.
	KeyCookie KeyKind = "cookie"
	// KeyBody is a top-level string field of a JSON or form body,
	// lower-cased (an email, say).
	KeyBody KeyKind = "body"
)

// KeySource is one part of a zone's key.
type KeySource struct {
	Kind KeyKind `json:"kind"`
	// Name is the header, cookie or body field name.
	Name string `json:"name,omitempty"`
}

// Zone is one named limit.
type Zone struct {
	// Name identifies the zone in headers, metrics and store keys.
	Name string
	// Match selects the requests the zone applies to; nil matches all.
	Match func(*http.Request) (bool, error)
	// Rate is the sustained rate.
	Rate Rate
	// Burst is how many requests may come at once. Default: Rate.Count.
	Burst int64
	// Key is what the zone counts by; several sources combine. A request
	// lacking any part of its key is not limited by the zone.
	Key []KeySource
	// IPv4Prefix and IPv6Prefix group client IPs (defaults 32 and 64).
	IPv4Prefix, IPv6Prefix int
	// CountStatus, when set, refunds every request whose response status
	// is not listed: only those responses count against the zone.
	CountStatus []int
	// OnStoreError is what the zone does when the shared store fails.
	OnStoreError ErrorPolicy
	// Mode is exact (the default: every decision is one script on the
	// shared store, zero overshoot) or approximate (each instance may
	// admit up to Lease requests per key ahead of the shared store; see
	// OvershootBound). It only matters with a shared store.
	Mode Mode
	// Lease is an approximate zone's per-instance credit: how many
	// admissions of one key an instance may make before the shared store
	// has counted them. Default: Burst/20, at least 1. Zero for exact
	// zones.
	Lease int64
}

// Mode says how a zone decides on a shared store.
type Mode string

// Modes.
const (
	// ModeExact decides every request with one script on the shared store.
	ModeExact Mode = "exact"
	// ModeApproximate decides locally within a per-instance credit and
	// sends the charges to the shared store in batches.
	ModeApproximate Mode = "approximate"
)

// ParseMode parses exact or approximate.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeExact:
		return ModeExact, nil
	case ModeApproximate:
		return ModeApproximate, nil
	}
	return ModeExact, fmt.Errorf("mode %q: use exact or approximate", s)
}

// DefaultLease is an approximate zone's default credit: a twentieth of
// its burst, at least 1.
func DefaultLease(burst int64) int64 { return max(burst/20, 1) }

// OvershootBound is the most requests an approximate zone may admit
// beyond its exact limit over any window, across instances edge
// instances sharing the store: instances × Lease. Each instance admits at
// most Lease requests of a key that the shared store has not yet
// counted, and every admission it makes is checked against everything the
// store had counted when it last heard back for that key; whatever the
// others admitted in the meantime is at most their own credit. Exact
// zones: 0.
func (z *Zone) OvershootBound(instances int) int64 {
	if z.Mode != ModeApproximate {
		return 0
	}
	lease := z.Lease
	if lease == 0 {
		burst := z.Burst
		if burst == 0 {
			burst = z.Rate.Count
		}
		lease = DefaultLease(burst)
	}
	return int64(max(instances, 1)) * lease
}

var zoneNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// validate checks a zone and fills its defaults.
func (z *Zone) validate() error {
	if !zoneNameRE.MatchString(z.Name) {
		return fmt.Errorf("zone name %q: use lowercase letters, digits, _ and - (at most 64)", z.Name)
	}
	if z.Rate.Count < 1 || z.Rate.Period <= 0 {
		return fmt.Errorf("zone %s: rate %s admits nothing; write at least 1 request per period, e.g. 5/1m", z.Name, z.Rate)
	}
	if z.Burst == 0 {
		z.Burst = z.Rate.Count
	}
	if z.Burst < 1 {
		return fmt.Errorf("zone %s: burst %d is below 1; a burst of 1 admits requests one interval apart", z.Name, z.Burst)
	}
	if len(z.Key) == 0 {
		return fmt.Errorf("zone %s: no key: say what to count by, e.g. key client_ip", z.Name)
	}
	if len(z.Key) > maxKeySources {
		return fmt.Errorf("zone %s: %d key sources: at most %d", z.Name, len(z.Key), maxKeySources)
	}
	for _, k := range z.Key {
		switch k.Kind {
		case KeyClientIP:
		case KeyHeader, KeyCookie, KeyBody:
			if k.Name == "" {
				return fmt.Errorf("zone %s: key %s needs a name, e.g. key %s email", z.Name, k.Kind, k.Kind)
			}
		default:
			return fmt.Errorf("zone %s: unknown key source %q: use client_ip, header <name>, cookie <name> or body <field>", z.Name, k.Kind)
		}
	}
	if z.IPv4Prefix == 0 {
		z.IPv4Prefix = 32
	}
	if z.IPv6Prefix == 0 {
		z.IPv6Prefix = 64
	}
	if z.IPv4Prefix < 8 || z.IPv4Prefix > 32 || z.IPv6Prefix < 16 || z.IPv6Prefix > 128 {
		return fmt.Errorf("zone %s: ip prefixes out of range (ipv4 8–32, ipv6 16–128)", z.Name)
	}
	switch z.Mode {
	case "", ModeExact:
		z.Mode = ModeExact
		if z.Lease != 0 {
			return fmt.Errorf("zone %s: lease %d needs mode approximate", z.Name, z.Lease)
		}
	case ModeApproximate:
		if z.Lease == 0 {
			z.Lease = DefaultLease(z.Burst)
		}
		if z.Lease < 1 || z.Lease > z.Burst {
			return fmt.Errorf("zone %s: lease %d: between 1 and the burst (%d)", z.Name, z.Lease, z.Burst)
		}
	default:
		return fmt.Errorf("zone %s: mode %q: use exact or approximate", z.Name, z.Mode)
	}
	for _, s := range z.CountStatus {
		if s < 100 || s > 599 {
			return fmt.Errorf("zone %s: count_status %d is not an HTTP status", z.Name, s)
		}
	}
	return nil
}

// counts reports whether a response with status counts against the zone.
func (z *Zone) counts(status int) bool {
	if len(z.CountStatus) == 0 {
		return true
	}
	for _, s := range z.CountStatus {
		if s == status {
			return true
		}
	}
	return false
}

// limit is the zone's GCRA parameters.
func (z *Zone) limit() Limit { return Limit{Interval: z.Rate.Interval(), Burst: z.Burst} }

// needsBody reports whether the zone's key reads the request body.
func (z *Zone) needsBody() bool {
	for _, k := range z.Key {
		if k.Kind == KeyBody {
			return true
		}
	}
	return false
}
