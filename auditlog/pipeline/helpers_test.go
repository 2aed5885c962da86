package pipeline

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/auditlog/sink/jsonl"
	"github.com/ocomms/ocomms-edge/auditlog/sink/zapsink"
	"github.com/ocomms/ocomms-edge/secevent"
)

// newTestPipeline is a pipeline for instance edge-test on the spool in dir
// that writes often and retries fast.
func newTestPipeline(t *testing.T, dir string, key []byte, sinks ...Sink) *Pipeline {
	t.Helper()
	p, err := NewPipeline(Config{
		Instance: "edge-test", SpoolDir: dir, SigningKey: key, Sinks: sinks,
		FsyncInterval: 5 * time.Millisecond, RetryMin: time.Millisecond, RetryMax: 20 * time.Millisecond,
		Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// emitN emits n sample events of action a, the i-th varied by i.
func emitN(p *Pipeline, a secevent.Action, n int) {
	for i := range n {
		p.Emit(logtest.SampleEvent(a, i))
	}
}

// mustClose closes p, failing t unless every sink drained.
func mustClose(t *testing.T, p *Pipeline) {
	t.Helper()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// openJSONL opens the JSONL store in dir.
func openJSONL(t *testing.T, dir string) *jsonl.JSONL {
	t.Helper()
	jl, err := jsonl.OpenJSONL(jsonl.JSONLConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return jl
}

// verifyJSONL verifies the chain of the JSONL store in dir with pub.
func verifyJSONL(t *testing.T, dir string, pub ed25519.PublicKey) chain.Report {
	t.Helper()
	rep, err := chain.Verify(context.Background(), openJSONL(t, dir), pub)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkCheckpoints asserts every checkpoint's signature verifies with pub.
func checkCheckpoints(t *testing.T, cps []record.Checkpoint, pub ed25519.PublicKey) {
	t.Helper()
	for _, cp := range cps {
		if err := chain.VerifyCheckpoint(cp, pub); err != nil {
			t.Fatal(err)
		}
	}
}

// zapAndJSONL are the real sinks tests compare: zap (under the audit
// logger's name) into an observer, whose entries logs holds, and JSONL in
// a fresh folder dir.
func zapAndJSONL(t *testing.T) (zs Sink, logs *observer.ObservedLogs, jl *jsonl.JSONL, dir string) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	dir = t.TempDir()
	return zapsink.NewZapSink(zap.New(core).Named(zapsink.ZapLoggerName)), logs, openJSONL(t, dir), dir
}

// checkChain asserts recs are seq from..to, linked, hashes right.
func checkChain(t *testing.T, recs []record.Record, from, to uint64) {
	t.Helper()
	if uint64(len(recs)) != to-from+1 {
		t.Fatalf("got %d records, want %d (seq %d..%d)", len(recs), to-from+1, from, to)
	}
	for i, r := range recs {
		if r.Seq != from+uint64(i) {
			t.Fatalf("record %d has seq %d, want %d", i, r.Seq, from+uint64(i))
		}
		if record.ChainHash(r.PrevHash, r.Data) != r.Hash {
			t.Fatalf("seq %d: hash does not match data", r.Seq)
		}
		if i > 0 && r.PrevHash != recs[i-1].Hash {
			t.Fatalf("seq %d: prev does not link", r.Seq)
		}
	}
}
