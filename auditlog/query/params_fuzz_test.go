package query

import (
	"testing"
	"time"
)

// FuzzParamsFilter: whatever the admin API's query parameters hold,
// parsing never panics and a filter it accepts is in bounds.
func FuzzParamsFilter(f *testing.F) {
	f.Add("u1", "a@b.test", "203.0.113.0/24", "sign_in_failed,admin_action", "failure", "7d", "2026-12-01T00:00:00Z", "c", "50")
	f.Add("", "", "::1", "", "", "24h", "", "", "")
	f.Fuzz(func(t *testing.T, user, email, ip, typ, outcome, since, until, after, limit string) {
		fl, err := Params{user, email, ip, typ, outcome, since, until, after, limit}.Filter(time.Unix(1_800_000_000, 0))
		if err != nil {
			return
		}
		if fl.Limit < 0 || fl.Limit > 1000 || (!fl.Since.IsZero() && !fl.Until.IsZero() && fl.Until.Before(fl.Since)) {
			t.Fatalf("accepted %+v", fl)
		}
		for _, a := range fl.Actions {
			if !validActionName(string(a)) {
				t.Fatalf("accepted type %q", a)
			}
		}
	})
}
