package pipeline

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, de := range ents {
		if strings.HasSuffix(de.Name(), ".seg") {
			last = filepath.Join(dir, de.Name())
		}
	}
	if last == "" {
		t.Fatal("no segment")
	}
	return last
}

// A crash mid-write leaves a torn frame at the end of the active segment;
// reopening cuts it and the chain continues from the last whole record.
func TestSpoolCutsTornTail(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	down := newMemSink("m")
	down.fail = func() bool { return true }
	p := newTestPipeline(t, dir, key, down)
	emitN(p, secevent.ActionSignInFailed, 100)
	logtest.WaitFor(t, "durable", func() bool { return p.Stats().DurableSeq == 100 })
	p.crash()
	seg := lastSegment(t, dir)
	// Half of a frame, then zeros, as a crash can leave.
	frame := appendRecordFrame(nil, &record.Record{Seq: 101, Data: []byte(`{"x":1}`)})
	f, _ := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0o600)
	f.Write(frame[:len(frame)/2])
	f.Write(make([]byte, 300))
	f.Close()

	sink := newMemSink("m")
	p2 := newTestPipeline(t, dir, key, sink)
	if st := p2.Stats(); st.LastSeq != 100 {
		t.Fatalf("resumed at %d", st.LastSeq)
	}
	emitN(p2, secevent.ActionSignInFailed, 10)
	mustClose(t, p2)
	recs, cps := sink.snapshot()
	checkChain(t, recs, 1, 110)
	checkCheckpoints(t, cps, key.Public().(ed25519.PublicKey))
}

// Segments rotate; a restart resumes every sink from its own cursor
// across segments, and acknowledged segments are deleted.
func TestSpoolRotationAndCursorsAcrossRestart(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	fast := newMemSink("fast")
	slow := newMemSink("slow")
	slow.fail = func() bool { return true }
	cfg := Config{Instance: "edge-test", SpoolDir: dir, SigningKey: key, Sinks: []Sink{fast, slow},
		FsyncInterval: 2 * time.Millisecond, SegmentSize: 32 << 10, RetryMin: time.Millisecond, RetryMax: 2 * time.Millisecond}
	p, err := NewPipeline(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2000; i++ {
		p.Emit(logtest.SampleEvent(secevent.ActionAdmin, i))
		if i%100 == 99 { // several spool writes, so several segments
			logtest.WaitFor(t, "spool write", func() bool { return p.Stats().QueueDepth == 0 })
		}
	}
	logtest.WaitFor(t, "fast delivered", func() bool { return p.Stats().Sinks[0].DeliveredSeq == 2000 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); err == nil {
		t.Fatal("close with a dead sink must report it did not drain")
	}
	segs := p.Stats().SpoolSegments
	if segs < 10 {
		t.Fatalf("only %d segments: rotation did not happen or the slow sink's backlog was deleted", segs)
	}
	// Restart: the slow sink recovers; the fast one must get nothing twice.
	fast2 := newMemSink("fast")
	fast2.last["edge-test"] = 2000
	slow2 := newMemSink("slow")
	cfg.Sinks = []Sink{fast2, slow2}
	p2, err := NewPipeline(cfg)
	if err != nil {
		t.Fatal(err)
	}
	emitN(p2, secevent.ActionAdmin, 10)
	mustClose(t, p2)
	recs, _ := slow2.snapshot()
	checkChain(t, recs, 1, 2010)
	frecs, _ := fast2.snapshot()
	checkChain(t, frecs, 2001, 2010)
	if fast2.replays != 0 {
		t.Fatalf("fast sink got %d replays", fast2.replays)
	}
	if st := p2.Stats(); st.SpoolSegments != 1 {
		t.Fatalf("%d segments left after every sink acked", st.SpoolSegments)
	}
}

func TestSpoolRefusesAnotherInstance(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	p := newTestPipeline(t, dir, key)
	p.Emit(logtest.SampleEvent(secevent.ActionSignOut, 1))
	// Two pipelines on one spool would fork the chain.
	if _, err := NewPipeline(Config{Instance: "edge-test", SpoolDir: dir, SigningKey: key}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second pipeline on one spool: %v", err)
	}
	mustClose(t, p)
	_, err := NewPipeline(Config{Instance: "other", SpoolDir: dir, SigningKey: key})
	if err == nil || !strings.Contains(err.Error(), "belongs to instance") {
		t.Fatalf("got %v", err)
	}
	if _, err := NewPipeline(Config{Instance: "bad name!", SpoolDir: t.TempDir(), SigningKey: key}); err == nil {
		t.Fatal("bad instance name accepted")
	}
	if _, err := NewPipeline(Config{Instance: "x", SpoolDir: t.TempDir()}); err == nil {
		t.Fatal("missing key accepted")
	}
	if _, err := NewPipeline(Config{Instance: "x", SpoolDir: t.TempDir(), SigningKey: key, CheckpointInterval: 2 * time.Second}); err == nil {
		t.Fatal("checkpoint interval above 1s accepted")
	}
}

// A lost spool does not restart the chain at 1 (which the sinks would
// skip as replays): it continues from the JSONL store's head.
func TestLostSpoolContinuesFromSinkHead(t *testing.T) {
	key := logtest.TestKey(t)
	jdir := t.TempDir()
	jl := openJSONL(t, jdir)
	p := newTestPipeline(t, t.TempDir(), key, jl)
	emitN(p, secevent.ActionSignInSucceeded, 300)
	mustClose(t, p)
	jl2 := openJSONL(t, jdir)
	p2 := newTestPipeline(t, t.TempDir(), key, jl2) // a fresh spool
	if st := p2.Stats(); st.LastSeq != 300 {
		t.Fatalf("resumed at %d, want 300", st.LastSeq)
	}
	emitN(p2, secevent.ActionSignOut, 20)
	mustClose(t, p2)
	rep := verifyJSONL(t, jdir, key.Public().(ed25519.PublicKey))
	if ir, _ := rep.Instance("edge-test"); !rep.OK() || ir.Last != 320 || ir.Records != 320 || ir.Anchored != 320 {
		t.Fatalf("%+v %+v", ir, rep.Problems)
	}
}

func TestSigningKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "audit.key")
	k1, err := chain.LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	k2, err := chain.LoadOrCreateSigningKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reload: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := chain.LoadOrCreateSigningKey(path); err == nil {
		t.Fatal("world-readable key accepted")
	}
	pem, err := chain.MarshalPublicKey(k1.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := chain.ParsePublicKey(pem)
	if err != nil || !pub.Equal(k1.Public()) {
		t.Fatalf("public key round trip: %v", err)
	}
	if _, err := chain.ParsePublicKey([]byte("nonsense")); err == nil {
		t.Fatal("nonsense accepted as a key")
	}
}
