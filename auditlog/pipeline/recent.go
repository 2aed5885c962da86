package pipeline

import (
	"sync/atomic"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// recentRing holds the newest durable records with their decoded events,
// so sinks that keep up need not decode what Emit already had.
type recentRing struct {
	slots []atomic.Pointer[record.Record]
}

func newRecentRing(n int) *recentRing {
	return &recentRing{slots: make([]atomic.Pointer[record.Record], n)}
}

func (r *recentRing) put(rec *record.Record) { r.slots[rec.Seq%uint64(len(r.slots))].Store(rec) }

// event returns the decoded event of seq, or nil when it has rotated out.
func (r *recentRing) event(seq uint64) *secevent.Event {
	if rec := r.slots[seq%uint64(len(r.slots))].Load(); rec != nil && rec.Seq == seq {
		return rec.Event
	}
	return nil
}
