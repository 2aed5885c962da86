package secevent

import (
	"strings"
	"testing"
	"time"
)

func TestFilterTextFilter(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	f, err := FilterText{
		User: "u1", Email: "Alice@Example.TEST", IP: " 203.0.113.0/24", Type: "sign_in_failed, admin_action",
		Outcome: "failure", Since: "7d", Until: "2026-12-01T07:00:00Z", After: "cursor", Limit: "50",
	}.Filter(now)
	if err != nil {
		t.Fatal(err)
	}
	if f.UserID != "u1" || f.Email != "alice@example.test" || f.IP != "203.0.113.0/24" || f.Outcome != OutcomeFailure ||
		len(f.Actions) != 2 || f.Actions[1] != ActionAdmin || f.After != "cursor" || f.Limit != 50 ||
		!f.Since.Equal(now.Add(-7*24*time.Hour)) || !f.Until.Equal(now.Add(-time.Hour)) {
		t.Fatalf("filter %+v", f)
	}
	for _, tc := range []struct {
		q    FilterText
		want string
	}{
		{FilterText{IP: "300.1.1.1"}, "ip"},
		{FilterText{IP: "10.0.0.0/33"}, "ip"},
		{FilterText{Type: "DROP TABLE"}, "type"},
		{FilterText{Outcome: "maybe"}, "outcome"},
		{FilterText{Since: "yesterday"}, "since"},
		{FilterText{Since: "-5h"}, "since"},
		{FilterText{Since: "3651d"}, "since"},
		{FilterText{Since: "1h", Until: "2h"}, "until is before since"},
		{FilterText{Limit: "0"}, "limit"},
		{FilterText{Limit: "5000"}, "limit"},
	} {
		if _, err := tc.q.Filter(now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.q, err, tc.want)
		}
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"2026-11-30T10:00:00Z": time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
		"2026-11-30":           time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		" 15m ":                now.Add(-15 * time.Minute),
		"2d":                   now.Add(-48 * time.Hour),
	} {
		got, err := ParseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

// FuzzFilterText: whatever the query parameters or flags hold, parsing
// never panics and a filter it accepts is in bounds.
func FuzzFilterText(f *testing.F) {
	f.Add("u1", "a@b.test", "203.0.113.0/24", "sign_in_failed,admin_action", "failure", "7d", "2026-12-01T00:00:00Z", "c", "50")
	f.Add("", "", "::1", "", "", "24h", "", "", "")
	f.Fuzz(func(t *testing.T, user, email, ip, typ, outcome, since, until, after, limit string) {
		now := time.Unix(1_800_000_000, 0)
		fl, err := FilterText{user, email, ip, typ, outcome, since, until, after, limit}.Filter(now)
		if err != nil {
			return
		}
		if fl.Limit < 0 || fl.Limit > MaxFilterLimit || (!fl.Since.IsZero() && !fl.Until.IsZero() && fl.Until.Before(fl.Since)) {
			t.Fatalf("accepted %+v", fl)
		}
		for _, a := range fl.Actions {
			if !validAction(a) {
				t.Fatalf("accepted type %q", a)
			}
		}
	})
}

func validAction(a Action) bool {
	for _, b := range Actions() {
		if a == b {
			return true
		}
	}
	return false
}
