package pipeline

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestEmitDoesNotAllocate: with the writer idle, Emit of an event with
// no id and with labels makes no heap allocation (the copy goes into the
// writer's prefaulted slab; id and labels are the writer's work). An
// allocation here is what put page faults into Emit's p99.
func TestEmitDoesNotAllocate(t *testing.T) {
	p, err := NewPipeline(Config{
		Instance: "edge-alloc", SpoolDir: t.TempDir(), SigningKey: logtest.TestKey(t),
		FsyncInterval: time.Hour, Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	e := logtest.SampleEvent(secevent.ActionRateLimited, 3)
	if e.Labels == nil || e.ID != "" {
		t.Fatalf("sample event must have labels and no id: %+v", e)
	}
	if n := testing.AllocsPerRun(200, func() { p.Emit(e) }); n != 0 {
		t.Fatalf("Emit made %.1f allocations per call, want 0", n)
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestEmitIDsAndLabelsFromTheWriter: the writer gives each event without
// an id its own UUIDv4 (in the record, the event and the hashed bytes),
// keeps a caller's id, and drops secret-looking and malformed label
// names before anything is encoded.
func TestEmitIDsAndLabelsFromTheWriter(t *testing.T) {
	sink := newMemSink("mem")
	p := newTestPipeline(t, t.TempDir(), logtest.TestKey(t), sink)
	const n = 300
	for i := range n {
		e := logtest.SampleEvent(secevent.ActionRateLimited, i)
		e.Labels = map[string]string{"zone": "sign_in", "password": "hunter2hunter2", "Bad Key": "x"}
		if i == 7 {
			e.ID = "3f0b8a52-2a8e-4c1e-9d7a-0c9f7d6e5b4a"
		}
		p.Emit(e)
	}
	mustClose(t, p)
	recs, _ := sink.snapshot()
	checkChain(t, recs, 1, n)
	seen := map[string]bool{}
	for i, r := range recs {
		if i == 7 && r.EventID != "3f0b8a52-2a8e-4c1e-9d7a-0c9f7d6e5b4a" {
			t.Errorf("seq %d: the caller's id became %q", r.Seq, r.EventID)
		}
		if !uuidV4.MatchString(r.EventID) || r.Event.ID != r.EventID || seen[r.EventID] {
			t.Fatalf("seq %d: id %q (event %q), unique %v", r.Seq, r.EventID, r.Event.ID, !seen[r.EventID])
		}
		seen[r.EventID] = true
		if !strings.Contains(string(r.Data), `"id":"`+r.EventID+`"`) {
			t.Fatalf("seq %d: the hashed bytes lack the id: %s", r.Seq, r.Data)
		}
		if len(r.Event.Labels) != 1 || r.Event.Labels["zone"] != "sign_in" {
			t.Fatalf("seq %d: labels %v, want only zone", r.Seq, r.Event.Labels)
		}
		if strings.Contains(string(r.Data), "hunter2") || strings.Contains(string(r.Data), "Bad Key") {
			t.Fatalf("seq %d: a dropped label was encoded: %s", r.Seq, r.Data)
		}
	}
}
