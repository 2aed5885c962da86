package jsonl

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/auditlog/sink/zapsink"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// The zap log (as Caddy writes it, JSON) anchors a JSONL store whose
// newest file, with its checkpoints, was deleted.
func TestZapLogAnchorsJSONL(t *testing.T) {
	key := logtest.TestKey(t)
	var logBuf bytes.Buffer
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	logger := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&logBuf), zap.InfoLevel)).Named(zapsink.ZapLoggerName)
	dir := t.TempDir()
	jl, _ := OpenJSONL(JSONLConfig{Dir: dir})
	now := testsupport.NewClockAt(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)).Ticking(time.Millisecond)
	p, err := pipeline.NewPipeline(pipeline.Config{Instance: "edge-test", SpoolDir: t.TempDir(), SigningKey: key,
		Sinks: []pipeline.Sink{zapsink.NewZapSink(logger), jl}, CheckpointEvery: 50, Now: now.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 400; i++ {
		if i == 200 {
			now.Advance(24 * time.Hour)
		}
		p.Emit(logtest.SampleEvent(secevent.ActionSignInFailed, i))
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	cps, err := zapsink.ReadZapCheckpoints(bytes.NewReader(logBuf.Bytes()))
	if err != nil || len(cps) < 8 || cps[len(cps)-1].Seq != 400 {
		t.Fatalf("%d checkpoints from the log: %v", len(cps), err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("%d day files", len(ents))
	}
	os.Remove(filepath.Join(dir, ents[1].Name())) // the newest day, checkpoints and all
	pub := key.Public().(ed25519.PublicKey)
	if rep := verifyDir(t, dir, pub, nil); !rep.OK() {
		t.Fatalf("without the anchor the cut should be invisible; got %+v", rep.Problems)
	}
	rep := verifyDir(t, dir, pub, cps)
	if ir, _ := rep.Instance("edge-test"); rep.OK() || ir.Kind != chain.TamperTruncated || ir.FirstBad != 201 {
		t.Fatalf("with the zap anchor: %+v", ir)
	}
}
