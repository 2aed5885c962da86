package audittest

import (
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// WaitAuditEvents reads the audit JSONL files in dir (as ReadAuditEvents)
// until at least n events match, and returns the matching ones; it fails
// the test if they have not come within timeout. A nil match matches
// every event.
func WaitAuditEvents(t testing.TB, dir string, n int, timeout time.Duration, match func(secevent.Event) bool) []secevent.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got []secevent.Event
		for _, e := range ReadAuditEvents(t, dir) {
			if match == nil || match(e) {
				got = append(got, e)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d matching audit events in %s after %s, want %d", len(got), dir, timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// OfAction matches the events of action a, for WaitAuditEvents.
func OfAction(a secevent.Action) func(secevent.Event) bool {
	return func(e secevent.Event) bool { return e.Action == a }
}
