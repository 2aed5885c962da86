package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Params is an investigation as the admin API and the CLI take it:
// every field is the raw text of a query parameter or flag.
type Params struct {
	User, Email, IP, Type, Outcome, Since, Until, After, Limit string
}

// Filter checks q and turns it into a Filter. Times are RFC 3339
// or a duration back from now ("24h", "7d").
func (q Params) Filter(now time.Time) (Filter, error) {
	f := Filter{UserID: q.User, Email: strings.ToLower(q.Email), After: q.After}
	if q.IP != "" {
		if err := CheckIPOrCIDR(q.IP); err != nil {
			return f, err
		}
		f.IP = q.IP
	}
	if q.Type != "" {
		for _, t := range strings.Split(q.Type, ",") {
			t = strings.TrimSpace(t)
			if !validActionName(t) {
				return f, fmt.Errorf("type %q: not an audit event type (e.g. sign_in_failed, admin_action)", t)
			}
			f.Actions = append(f.Actions, secevent.Action(t))
		}
	}
	switch secevent.Outcome(q.Outcome) {
	case "", secevent.OutcomeSuccess, secevent.OutcomeFailure, secevent.OutcomeUnknown:
		f.Outcome = secevent.Outcome(q.Outcome)
	default:
		return f, fmt.Errorf("outcome %q: use success, failure or unknown", q.Outcome)
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
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		if err != nil || n < 1 || n > 1000 {
			return f, fmt.Errorf("limit %q: want 1 to 1000", q.Limit)
		}
		f.Limit = n
	}
	return f, nil
}

// ParseWhen reads RFC 3339 or a duration ago; "" is the zero time.
func ParseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	d, err := parseAgo(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-12-01T08:00:00Z), a date or a duration ago (24h, 7d)", s)
	}
	return now.Add(-d), nil
}

// parseAgo is time.ParseDuration plus a "d" (day) unit.
func parseAgo(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad day count")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration")
	}
	return d, nil
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

// validActionName reports whether s names an event type the edge records.
func validActionName(s string) bool {
	return slices.Contains(secevent.Actions(), secevent.Action(s))
}
