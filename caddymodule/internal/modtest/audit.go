package modtest

import (
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// WaitAudit waits until want events match, then lets the pipeline settle
// and returns every match, so that a duplicate shows.
func WaitAudit(t *testing.T, dir string, want int, match func(secevent.Event) bool) []secevent.Event {
	t.Helper()
	audittest.WaitAuditEvents(t, dir, want, 10*time.Second, match)
	time.Sleep(400 * time.Millisecond) // several fsync periods
	return audittest.WaitAuditEvents(t, dir, want, 0, match)
}

// OfAction matches the events of action a (audittest.OfAction).
var OfAction = audittest.OfAction
