package pipeline

import (
	"context"
	"encoding/base64"
	"reflect"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/auditlog/sink/zapsink"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Checkpoints come every CheckpointEvery events even inside one spool
// write, and the very same checkpoints reach every sink.
func TestCheckpointCadenceAndSameInEverySink(t *testing.T) {
	key := logtest.TestKey(t)
	mem := newMemSink("mem")
	zs, logs, jl, dir := zapAndJSONL(t)
	p, err := NewPipeline(Config{Instance: "edge-test", SpoolDir: t.TempDir(), SigningKey: key,
		Sinks: []Sink{mem, zs, jl}, FsyncInterval: time.Hour, CheckpointEvery: 100})
	if err != nil {
		t.Fatal(err)
	}
	emitN(p, secevent.ActionSignInFailed, 1050)
	mustClose(t, p)
	_, cps := mem.snapshot()
	var seqs []uint64
	for _, cp := range cps {
		seqs = append(seqs, cp.Seq)
	}
	want := []uint64{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1050}
	if !reflect.DeepEqual(seqs, want) {
		t.Fatalf("checkpoints at %v, want %v", seqs, want)
	}
	jr := openJSONL(t, dir)
	fileCPs, err := jr.ReadCheckpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normCPs(fileCPs), normCPs(cps)) {
		t.Fatalf("JSONL checkpoints differ from the mem sink's")
	}
	zapCPs := logs.FilterMessage(string(secevent.ActionAuditCheckpoint)).All()
	if len(zapCPs) != len(cps) {
		t.Fatalf("zap has %d checkpoints, want %d", len(zapCPs), len(cps))
	}
	for i, le := range zapCPs {
		sig, _ := base64.StdEncoding.DecodeString(le.ContextMap()["audit.checkpoint.signature"].(string))
		if !reflect.DeepEqual(sig, cps[i].Signature) {
			t.Fatalf("zap checkpoint %d has another signature", i)
		}
	}
}

func normCPs(cps []record.Checkpoint) []record.Checkpoint {
	out := make([]record.Checkpoint, len(cps))
	for i, c := range cps {
		out[i] = logtest.NormCP(c)
	}
	return out
}

func TestZapSinkOCSF(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	p := newTestPipeline(t, t.TempDir(), logtest.TestKey(t), zapsink.NewZapSinkOCSF(zap.New(core).Named(zapsink.ZapLoggerName)))
	e := logtest.SampleEvent(secevent.ActionSignInFailed, 1)
	e.Time = time.Date(2026, 12, 1, 7, 0, 0, 123456000, time.UTC)
	p.Emit(e)
	mustClose(t, p)
	entries := logs.FilterMessage(string(secevent.ActionSignInFailed)).All()
	if len(entries) != 1 {
		t.Fatalf("%d entries", len(entries))
	}
	m := entries[0].ContextMap()
	if m["class_uid"] != int64(3002) || m["type_uid"] != int64(300201) || m["time"] != e.Time.UnixMilli() || m["status_id"] != int64(2) {
		t.Fatalf("ocsf fields %v", m)
	}
	meta, _ := m["metadata"].(map[string]any)
	if meta["version"] != record.OCSFVersion || meta["sequence"] != uint64(1) {
		t.Fatalf("metadata %v", meta)
	}
	if user, _ := m["user"].(map[string]any); user["email_addr"] != e.UserEmail {
		t.Fatalf("user %v", m["user"])
	}
	if b, err := record.MarshalOCSF(e); err != nil || len(b) < 100 {
		t.Fatalf("MarshalOCSF: %v", err)
	}
}
