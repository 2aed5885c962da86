package caddymodule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

func TestAuditQueryFilter(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	f, err := auditQuery{
		User: "u1", Email: "Alice@Example.TEST", IP: "203.0.113.0/24", Type: "sign_in_failed, admin_action",
		Outcome: "failure", Since: "7d", Until: "2026-12-01T07:00:00Z", After: "cursor", Limit: "50",
	}.filter(now)
	if err != nil {
		t.Fatal(err)
	}
	if f.UserID != "u1" || f.Email != "alice@example.test" || f.IP != "203.0.113.0/24" || f.Outcome != secevent.OutcomeFailure ||
		len(f.Actions) != 2 || f.Actions[1] != secevent.ActionAdmin || f.After != "cursor" || f.Limit != 50 ||
		!f.Since.Equal(now.Add(-7*24*time.Hour)) || !f.Until.Equal(now.Add(-time.Hour)) {
		t.Fatalf("filter %+v", f)
	}
	for _, tc := range []struct {
		q    auditQuery
		want string
	}{
		{auditQuery{IP: "300.1.1.1"}, "ip"},
		{auditQuery{IP: "10.0.0.0/33"}, "ip"},
		{auditQuery{Type: "DROP TABLE"}, "type"},
		{auditQuery{Outcome: "maybe"}, "outcome"},
		{auditQuery{Since: "yesterday"}, "since"},
		{auditQuery{Since: "-5h"}, "since"},
		{auditQuery{Since: "1h", Until: "2h"}, "until is before since"},
		{auditQuery{Limit: "0"}, "limit"},
		{auditQuery{Limit: "5000"}, "limit"},
	} {
		if _, err := tc.q.filter(now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.q, err, tc.want)
		}
	}
}

func TestCertAuditEvent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    map[string]any
		action  secevent.Action
		outcome secevent.Outcome
		reason  string
	}{
		{"cert_obtained", map[string]any{"renewal": false, "identifier": "chat.example.com", "issuer": "acme-v02.api.letsencrypt.org-directory"},
			secevent.ActionCertObtained, secevent.OutcomeSuccess, ""},
		{"cert_obtained", map[string]any{"renewal": true, "identifier": "chat.example.com", "issuer": "x", "remaining": time.Hour},
			secevent.ActionCertRenewed, secevent.OutcomeSuccess, ""},
		{"cert_failed", map[string]any{"renewal": false, "identifier": "chat.example.com", "issuers": []string{"a", "b"}, "error": errors.New(strings.Repeat("e", 400))},
			secevent.ActionCertFailed, secevent.OutcomeFailure, "obtain_failed"},
		{"cert_failed", map[string]any{"renewal": true, "identifier": "chat.example.com", "error": errors.New("rate limited")},
			secevent.ActionCertFailed, secevent.OutcomeFailure, "renewal_failed"},
	} {
		e := certAuditEvent(tc.name, tc.data)
		if e.Action != tc.action || e.Outcome != tc.outcome || e.Reason != tc.reason || e.Labels["subjects"] != "chat.example.com" {
			t.Errorf("%s %v: %+v", tc.name, tc.data["renewal"], e)
		}
		if len(e.Labels["error"]) > 300 {
			t.Errorf("error label not bounded: %d bytes", len(e.Labels["error"]))
		}
	}
	if e := certAuditEvent("cert_failed", map[string]any{"issuers": []string{"a", "b"}}); e.Labels["issuer"] != "a,b" {
		t.Errorf("issuers %q", e.Labels["issuer"])
	}
}
