package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// memSink keeps what it is given; fail, when set, decides per call
// whether to refuse. It de-duplicates by (instance, seq) as the Sink
// contract requires, and counts what it was offered twice.
type memSink struct {
	name string
	mu   sync.Mutex
	recs []record.Record
	cps  []record.Checkpoint
	last map[string]uint64
	fail func() bool
	// replays counts records handed again after they were stored.
	replays int
	calls   int
}

func newMemSink(name string) *memSink { return &memSink{name: name, last: map[string]uint64{}} }

func (m *memSink) Name() string { return m.name }

func (m *memSink) Write(_ context.Context, recs []record.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil && m.fail() {
		return fmt.Errorf("injected failure %d", m.calls)
	}
	for _, r := range recs {
		if r.Seq <= m.last[r.Instance] {
			m.replays++
			continue
		}
		if r.Seq != m.last[r.Instance]+1 {
			return fmt.Errorf("gap: got %d after %d", r.Seq, m.last[r.Instance])
		}
		m.last[r.Instance] = r.Seq
		r.Data = append([]byte(nil), r.Data...)
		m.recs = append(m.recs, r)
	}
	return nil
}

func (m *memSink) WriteCheckpoint(_ context.Context, cp record.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil && m.fail() {
		return fmt.Errorf("injected checkpoint failure")
	}
	m.cps = append(m.cps, cp)
	return nil
}

func (m *memSink) Close() error { return nil }

func (m *memSink) snapshot() ([]record.Record, []record.Checkpoint) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]record.Record(nil), m.recs...), append([]record.Checkpoint(nil), m.cps...)
}
