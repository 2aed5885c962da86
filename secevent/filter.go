package secevent

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Filter selects events for an investigation; empty fields match all.
// The audit log answers it (its query API, the CLI) and the operator
// console asks it, both read from text by FilterText.Filter.
type Filter struct {
	UserID  string
	Email   string // matched lower-cased
	IP      string // an address or a CIDR
	Actions []Action
	Outcome Outcome
	Since   time.Time
	Until   time.Time
	// Limit caps a page (the store's default when zero, at most
	// MaxFilterLimit).
	Limit int
	// After is a keyset cursor from a previous page (opaque).
	After string
}

// Page is one page of events, newest first.
type Page struct {
	Events []Event
	// Next is the cursor for the following page; empty when done.
	Next string
}

// MaxFilterLimit is the largest page a Filter may ask for.
const MaxFilterLimit = 1000

// FilterText is a filter as an operator writes it: every field is the raw
// text of a query parameter or a command-line flag.
type FilterText struct {
	User, Email, IP, Type, Outcome, Since, Until, After, Limit string
}

// Filter checks q and turns it into a Filter. Types are comma-separated
// Action names; times are RFC 3339, a date, or a duration back from now
// ("15m", "24h", "7d"). Surrounding spaces are ignored.
func (q FilterText) Filter(now time.Time) (Filter, error) {
	f := Filter{UserID: strings.TrimSpace(q.User), Email: strings.ToLower(strings.TrimSpace(q.Email)), After: strings.TrimSpace(q.After)}
	if ip := strings.TrimSpace(q.IP); ip != "" {
		if err := CheckIPOrCIDR(ip); err != nil {
			return f, err
		}
		f.IP = ip
	}
	if q.Type != "" {
		for _, t := range strings.Split(q.Type, ",") {
			a := Action(strings.TrimSpace(t))
			if !slices.Contains(Actions(), a) {
				return f, fmt.Errorf("type %q: not an event type (e.g. sign_in_failed, admin_action)", a)
			}
			f.Actions = append(f.Actions, a)
		}
	}
	switch o := Outcome(strings.TrimSpace(q.Outcome)); o {
	case "", OutcomeSuccess, OutcomeFailure, OutcomeUnknown:
		f.Outcome = o
	default:
		return f, fmt.Errorf("outcome %q: use success, failure or unknown", o)
	}
	var err error
	if f.Since, err = ParseWhen(q.Since, now); err != nil {
		return f, fmt.Errorf("since: %w", err)
	}
	if f.Until, err = ParseWhen(q.Until, now); err != nil {
		return f, fmt.Errorf("until: %w", err)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return f, fmt.Errorf("until is before since")
	}
	if l := strings.TrimSpace(q.Limit); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxFilterLimit {
			return f, fmt.Errorf("limit %q: want 1 to %d", l, MaxFilterLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// maxAgoDays bounds a "Nd" duration (ten years), so that it cannot
// overflow time.Duration.
const maxAgoDays = 3650

// ParseWhen reads RFC 3339, a date (2006-01-02, UTC) or a duration back
// from now (15m, 24h, 7d); "" is the zero time.
func ParseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= maxAgoDays {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-12-01T08:00:00Z), a date or a duration ago (15m, 24h, 7d)", s)
}

// CheckIPOrCIDR checks that s is an IP address or a CIDR prefix.
func CheckIPOrCIDR(s string) error {
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	if _, err := netip.ParsePrefix(s); err == nil {
		return nil
	}
	return fmt.Errorf("ip %q: want an address or a CIDR such as 203.0.113.0/24", s)
}
