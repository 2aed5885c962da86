package integration

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestAuditCertificateObtainedAndRenewed: a certificate issued by an ACME
// CA (in-process Pebble, 2-minute certificates, renewal after 10% of the
// lifetime) makes one certificate_obtained event and its renewal one
// certificate_renewed, both naming the host, from Caddy's own events.
func TestAuditCertificateObtainedAndRenewed(t *testing.T) {
	e, p, host := startACMETest(t, pebbleOptions{Profile: "shortlived", Validity: 2 * time.Minute, NoARI: true}, "audit")
	dir := filepath.Join(e.Dir, "audit")
	loadACMEEdge(t, e, p, host, fmt.Sprintf("renewal_window_ratio 0.9\n\tocomms {\n\t\taudit {\n\t\t\tjsonl %s\n\t\t}\n\t}", dir))

	obtained := audittest.WaitAuditEvents(t, dir, 1, issueTimeout, audittest.OfAction(secevent.ActionCertObtained))
	if obtained[0].Labels["subjects"] != host || obtained[0].Outcome != secevent.OutcomeSuccess || obtained[0].Labels["issuer"] == "" {
		t.Fatalf("certificate_obtained %+v", obtained[0])
	}
	renewed := audittest.WaitAuditEvents(t, dir, 1, swapTimeout, audittest.OfAction(secevent.ActionCertRenewed))
	if renewed[0].Labels["subjects"] != host || renewed[0].Outcome != secevent.OutcomeSuccess {
		t.Fatalf("certificate_renewed %+v", renewed[0])
	}
	for _, ev := range audittest.ReadAuditEvents(t, dir) {
		if ev.Action == secevent.ActionCertFailed {
			t.Errorf("certificate_failed during a clean issue and renewal: %+v", ev)
		}
	}
	if n := len(audittest.WaitAuditEvents(t, dir, 1, time.Second, audittest.OfAction(secevent.ActionCertObtained))); n != 1 {
		t.Errorf("%d certificate_obtained events for one issue", n)
	}
}
