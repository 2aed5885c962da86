package modtest

import (
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// ReadAuditDir decodes the audit records in dir (see audittest.ReadAuditEvents).
func ReadAuditDir(t *testing.T, dir string) []secevent.Event {
	return audittest.ReadAuditEvents(t, dir)
}

// WaitAudit waits until want events match, then lets the pipeline settle
// and returns every match, so that a duplicate shows.
func WaitAudit(t *testing.T, dir string, want int, match func(secevent.Event) bool) []secevent.Event {
	t.Helper()
	filter := func() []secevent.Event {
		var out []secevent.Event
		for _, e := range ReadAuditDir(t, dir) {
			if match(e) {
				out = append(out, e)
			}
		}
		return out
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(filter()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d matching audit events after 10s, want %d; all: %+v", len(filter()), want, ReadAuditDir(t, dir))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond) // several fsync periods
	return filter()
}

// OfAction matches the events of one action.
func OfAction(a secevent.Action) func(secevent.Event) bool {
	return func(e secevent.Event) bool { return e.Action == a }
}
