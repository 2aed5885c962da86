package pipeline

import (
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// An idle tick (nothing queued, nothing carried) takes no fresh queue: the
// writer runs every FsyncInterval, and a prefaulted queue is hundreds of
// KiB, so allocating one per idle tick was megabytes of garbage a second on
// an edge nobody used.
func TestIdleTakeAllocatesNothing(t *testing.T) {
	// A pipeline without its writer goroutine, so nothing else allocates
	// while the take is counted.
	p := &Pipeline{}
	if allocs := testing.AllocsPerRun(100, func() {
		if batch := p.take(0); batch != nil {
			t.Fatalf("an empty queue gave a batch of %d", len(batch))
		}
	}); allocs != 0 {
		t.Fatalf("an idle take allocated %.0f times", allocs)
	}
	p.pending = append(p.pending, record.Record{Seq: 1})
	if batch := p.take(0); len(batch) != 1 || len(p.pending) != 0 || cap(p.pending) < 1024 {
		t.Fatalf("a queued record: batch %d, queue left %d (cap %d)", len(batch), len(p.pending), cap(p.pending))
	}
}
