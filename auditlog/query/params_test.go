package query

import (
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

func TestAuditQueryFilter(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	f, err := Params{
		User: "u1", Email: "Alice@Example.TEST", IP: "203.0.113.0/24", Type: "sign_in_failed, admin_action",
		Outcome: "failure", Since: "7d", Until: "2026-12-01T07:00:00Z", After: "cursor", Limit: "50",
	}.Filter(now)
	if err != nil {
		t.Fatal(err)
	}
	if f.UserID != "u1" || f.Email != "alice@example.test" || f.IP != "203.0.113.0/24" || f.Outcome != secevent.OutcomeFailure ||
		len(f.Actions) != 2 || f.Actions[1] != secevent.ActionAdmin || f.After != "cursor" || f.Limit != 50 ||
		!f.Since.Equal(now.Add(-7*24*time.Hour)) || !f.Until.Equal(now.Add(-time.Hour)) {
		t.Fatalf("filter %+v", f)
	}
	for _, tc := range []struct {
		q    Params
		want string
	}{
		{Params{IP: "300.1.1.1"}, "ip"},
		{Params{IP: "10.0.0.0/33"}, "ip"},
		{Params{Type: "DROP TABLE"}, "type"},
		{Params{Outcome: "maybe"}, "outcome"},
		{Params{Since: "yesterday"}, "since"},
		{Params{Since: "-5h"}, "since"},
		{Params{Since: "1h", Until: "2h"}, "until is before since"},
		{Params{Limit: "0"}, "limit"},
		{Params{Limit: "5000"}, "limit"},
	} {
		if _, err := tc.q.Filter(now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.q, err, tc.want)
		}
	}
}
