package auditmod

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

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
