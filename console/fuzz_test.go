package console

import (
	"net/url"
	"testing"
	"time"
)

// FuzzEventQuery: any query string is either refused or turned into a
// filter within the page limits; parsing never panics.
func FuzzEventQuery(f *testing.F) {
	for _, s := range []string{
		"", "type=sign_in_failed,account_locked&outcome=failure", "account=alice%40ocomms.test&ip=203.0.113.0/24",
		"since=7d&until=2026-12-07T10:00:00Z&limit=200", "since=-5m", "account=0123456789abcdef0123456789abcdef", "ip=::1&after=abc",
	} {
		f.Add(s)
	}
	h, err := New(Config{Authorizer: admin, Now: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		eq, err := h.parseEventQuery(q.Get)
		if err != nil {
			return
		}
		if eq.f.Limit < 1 || eq.f.Limit > 200 || len(eq.f.After) > 512 {
			t.Fatalf("%q: limit %d, cursor %d bytes", raw, eq.f.Limit, len(eq.f.After))
		}
		if !eq.f.Since.IsZero() && !eq.f.Until.IsZero() && eq.f.Until.Before(eq.f.Since) {
			t.Fatalf("%q: until before since", raw)
		}
	})
}
