package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is Count requests per Period.
type Rate struct {
	Count  int64
	Period time.Duration
}

// ParseRate parses "5/1m", "3/15m", "100/s", "1000/1h" or "10/30s".
func ParseRate(s string) (Rate, error) {
	countText, periodText, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: write requests/period, e.g. 5/1m or 100/s", s)
	}
	count, err := strconv.ParseInt(countText, 10, 64)
	if err != nil || count < 1 {
		return Rate{}, fmt.Errorf("rate %q: the count must be a whole number of at least 1", s)
	}
	if periodText != "" && periodText[0] >= 'a' && periodText[0] <= 'z' {
		periodText = "1" + periodText // "100/s" means 100 per 1s
	}
	period, err := time.ParseDuration(periodText)
	if err != nil || period <= 0 {
		return Rate{}, fmt.Errorf("rate %q: the period must be a duration such as 1m, 15m or 1h", s)
	}
	if period/time.Duration(count) < time.Microsecond {
		return Rate{}, fmt.Errorf("rate %q: more than one request per microsecond cannot be limited", s)
	}
	return Rate{Count: count, Period: period}, nil
}

// String formats the rate as it is written in the Caddyfile.
func (r Rate) String() string {
	return strconv.FormatInt(r.Count, 10) + "/" + shortDuration(r.Period)
}

// Interval is GCRA's emission interval: the time one request's share of the
// rate takes to come back.
func (r Rate) Interval() time.Duration { return r.Period / time.Duration(r.Count) }

func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}
