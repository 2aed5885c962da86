package auditmod

import (
	"context"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/secevent"
)

// memBackend keeps the events it is given.
type memBackend struct {
	mu     sync.Mutex
	events []secevent.Event
	closed bool
}

func (m *memBackend) Emit(e secevent.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		panic("emit after close")
	}
	m.events = append(m.events, e)
}

func (m *memBackend) Close(context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

func (m *memBackend) actions() []secevent.Action {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []secevent.Action
	for _, e := range m.events {
		out = append(out, e.Action)
	}
	return out
}

func TestAuditHubBeforeStartAfterStopAndOff(t *testing.T) {
	defer activeHub.Store(nil)
	oldBackend, newBackend := &memBackend{}, &memBackend{}
	oldLog := &pooledAudit{backend: oldBackend}
	newLog := &pooledAudit{backend: newBackend}

	old := &auditHub{}
	old.Emit(secevent.Event{Action: secevent.ActionRateLimited}) // before Start: held
	if len(oldBackend.actions()) != 0 {
		t.Fatal("emitted before start")
	}
	old.start(oldLog)
	activeHub.Store(old)
	old.Emit(secevent.Event{Action: secevent.ActionAdmin})
	if got := oldBackend.actions(); len(got) != 2 || got[0] != secevent.ActionRateLimited || got[1] != secevent.ActionAdmin {
		t.Fatalf("old log got %v", got)
	}

	// A reload with changed settings: the new app starts, the old stops
	// and its log closes; an old handler still in flight emits.
	nu := &auditHub{}
	nu.start(newLog)
	activeHub.Store(nu)
	old.stop()
	if err := oldLog.closeNow(); err != nil {
		t.Fatal(err)
	}
	old.Emit(secevent.Event{Action: secevent.ActionCSPViolation})
	oldLog.Emit(secevent.Event{Action: secevent.ActionCertFailed}) // a holder of the closed log itself
	if got := newBackend.actions(); len(got) != 2 || got[0] != secevent.ActionCSPViolation || got[1] != secevent.ActionCertFailed {
		t.Fatalf("new log got %v", got)
	}
	if len(oldBackend.actions()) != 2 {
		t.Fatal("closed log written")
	}

	// Nothing running: counted as dropped, never blocking.
	activeHub.Store(nil)
	before := droppedMetric()
	old.Emit(secevent.Event{Action: secevent.ActionAdmin})
	if old.dropped.Load() != 1 || droppedMetric() != before+1 {
		t.Fatalf("dropped %d, metric %v", old.dropped.Load(), droppedMetric()-before)
	}
	off := &auditHub{off: true}
	off.Emit(secevent.Event{Action: secevent.ActionAdmin})

	// The early buffer is bounded.
	early := &auditHub{}
	for i := 0; i < maxEarlyEvents+10; i++ {
		early.Emit(secevent.Event{Action: secevent.ActionAdmin})
	}
	if len(early.early) != maxEarlyEvents || early.dropped.Load() != 10 {
		t.Fatalf("early buffer %d, dropped %d", len(early.early), early.dropped.Load())
	}
}

func droppedMetric() float64 {
	var m dto.Metric
	if err := auditHubDropped.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// Stats implements auditBackend; the test double counts nothing.
func (m *memBackend) Stats() pipeline.Stats { return pipeline.Stats{} }
