package integration

import (
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// readAuditEvents decodes the audit records in dir (see audittest.ReadAuditEvents).
func readAuditEvents(t *testing.T, dir string) []secevent.Event {
	return audittest.ReadAuditEvents(t, dir)
}

// waitAuditAction waits up to timeout for n events of action in dir.
func waitAuditAction(t *testing.T, dir string, action secevent.Action, n int, timeout time.Duration) []secevent.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got []secevent.Event
		for _, e := range readAuditEvents(t, dir) {
			if e.Action == action {
				got = append(got, e)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s events after %s, want %d", len(got), action, timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
