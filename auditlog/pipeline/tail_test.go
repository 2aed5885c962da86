package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// After the last event of a burst the pipeline stays idle, yet the newest
// records get a signed checkpoint within CheckpointInterval (1 s): a crash
// 1.5 s later leaves them protected, and cutting the last record from the
// JSONL file (keeping the checkpoint line) is reported as truncation.
func TestPipelineIdleTailIsCheckpointed(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	jl := openJSONL(t, dir)
	mem := newMemSink("mem")
	p, err := NewPipeline(Config{Instance: "edge-tail", SpoolDir: filepath.Join(dir, "spool"), SigningKey: key, Sinks: []Sink{mem, jl}})
	if err != nil {
		t.Fatal(err)
	}
	// A first event, checkpointed, then a second one shortly after: the
	// second lands inside the checkpoint interval, so only the idle rule
	// can sign it.
	p.Emit(logtest.SampleEvent(secevent.ActionSignInFailed, 1))
	logtest.WaitFor(t, "first checkpoint", func() bool { _, cps := mem.snapshot(); return len(cps) > 0 })
	p.Emit(logtest.SampleEvent(secevent.ActionSignInFailed, 2))
	p.Emit(logtest.SampleEvent(secevent.ActionSignInFailed, 3))
	time.Sleep(1500 * time.Millisecond)
	p.crash()

	_, cps := mem.snapshot()
	if len(cps) == 0 || cps[len(cps)-1].Seq != 3 {
		t.Fatalf("1.5 s after the last event the newest checkpoint is %+v, want seq 3", cps)
	}

	file, data := audittest.OnlyDayFile(t, dir)
	var kept [][]byte
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if bytes.Contains(l, []byte(`"seq":3,`)) && !bytes.Contains(l, []byte(`"signature"`)) {
			continue // the record line of seq 3; its checkpoint stays
		}
		kept = append(kept, l)
	}
	if err := os.WriteFile(file, bytes.Join(kept, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := verifyJSONL(t, dir, p.PublicKey())
	if rep.OK() || len(rep.Problems) != 1 || rep.Problems[0].Kind != chain.TamperTruncated || rep.Problems[0].Seq != 3 {
		t.Fatalf("verify of a log cut before its newest checkpoint: %+v", rep)
	}
}
