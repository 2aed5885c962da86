package pipeline

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/secevent"
)

func TestPipelineDeliversEverySinkInOrder(t *testing.T) {
	key := logtest.TestKey(t)
	mem := newMemSink("mem")
	zs, logs, jl, jlDir := zapAndJSONL(t)
	p := newTestPipeline(t, t.TempDir(), key, mem, zs, jl)
	const n = 3000
	for i := 0; i < n; i++ {
		p.Emit(logtest.SampleEvent(secevent.Actions()[i%17], i))
	}
	mustClose(t, p)
	recs, cps := mem.snapshot()
	checkChain(t, recs, 1, n)
	if recs[0].PrevHash != ([32]byte{}) {
		t.Fatal("seq 1 must link to the zero hash")
	}
	if len(cps) == 0 || cps[len(cps)-1].Seq != n {
		t.Fatalf("want a final checkpoint at %d, got %+v", n, cps)
	}
	checkCheckpoints(t, cps, p.PublicKey())
	if got := logs.FilterMessage(string(secevent.ActionSignInFailed)).Len(); got == 0 {
		t.Fatal("zap sink logged no sign-in failure")
	}
	if got := logs.FilterMessage(string(secevent.ActionAuditCheckpoint)).Len(); got != len(cps) {
		t.Fatalf("zap has %d checkpoints, mem sink %d", got, len(cps))
	}
	st := p.Stats()
	if st.LastSeq != n || st.DurableSeq != n || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
	for _, s := range st.Sinks {
		if s.DeliveredSeq != n || s.Lag != 0 {
			t.Fatalf("sink stats %+v", s)
		}
	}
	// The JSONL store verifies with the pipeline's key.
	if rep := verifyJSONL(t, jlDir, p.PublicKey()); !rep.OK() || rep.Records != n {
		t.Fatalf("verify: %+v", rep)
	}
}

// A sink that fails at random still gets every record once, in order;
// meanwhile Emit goes on.
func TestPipelineIntermittentSinkNoLossNoDup(t *testing.T) {
	key := logtest.TestKey(t)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	flaky := newMemSink("flaky")
	flaky.fail = func() bool { mu.Lock(); defer mu.Unlock(); return rng.IntN(3) == 0 }
	steady := newMemSink("steady")
	p := newTestPipeline(t, t.TempDir(), key, flaky, steady)
	const n = 20000
	for i := 0; i < n; i++ {
		p.Emit(logtest.SampleEvent(secevent.ActionSignInFailed, i))
		if i%2000 == 0 {
			time.Sleep(3 * time.Millisecond)
		}
	}
	mustClose(t, p)
	for _, s := range []*memSink{flaky, steady} {
		recs, _ := s.snapshot()
		checkChain(t, recs, 1, n)
	}
	if flaky.calls <= len(flaky.recs)/DefaultMaxBatch {
		t.Fatalf("flaky sink never failed (%d calls)", flaky.calls)
	}
	if st := p.Stats(); st.Sinks[0].Errors == 0 {
		t.Fatalf("no errors counted: %+v", st.Sinks[0])
	}
}

// A queue bound far smaller than the outage loses nothing: the backlog is
// in the spool, not in memory, and is replayed in order when the sink is
// back.
func TestPipelineOutageLongerThanQueue(t *testing.T) {
	key := logtest.TestKey(t)
	var down sync.Mutex
	isDown := true
	sink := newMemSink("down")
	sink.fail = func() bool { down.Lock(); defer down.Unlock(); return isDown }
	dir := t.TempDir()
	p, err := NewPipeline(Config{
		Instance: "edge-test", SpoolDir: dir, SigningKey: key, Sinks: []Sink{sink},
		FsyncInterval: 2 * time.Millisecond, QueueSize: 64, SegmentSize: 64 << 10,
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	for i := 0; i < n; i++ {
		p.Emit(logtest.SampleEvent(secevent.ActionRateLimited, i))
		if i%32 == 31 {
			// Let the writer keep up with the tiny queue, as it does in
			// production between requests.
			logtest.WaitFor(t, "spool write", func() bool { return p.Stats().QueueDepth < 32 })
		}
	}
	logtest.WaitFor(t, "all durable", func() bool { return p.Stats().DurableSeq == n })
	st := p.Stats()
	if st.Dropped != 0 || st.SpoolSegments < 3 || st.Sinks[0].Lag != n {
		t.Fatalf("during outage: %+v", st)
	}
	down.Lock()
	isDown = false
	down.Unlock()
	mustClose(t, p)
	recs, _ := sink.snapshot()
	checkChain(t, recs, 1, n)
	if st := p.Stats(); st.SpoolSegments != 1 {
		t.Fatalf("acked segments not collected: %+v", st)
	}
}

// Emit drops (before assigning a seq) only when the queue in front of the
// spool is full; the chain stays gapless.
func TestPipelineFullQueueDropsBeforeSeq(t *testing.T) {
	key := logtest.TestKey(t)
	sink := newMemSink("m")
	p, err := NewPipeline(Config{
		Instance: "edge-test", SpoolDir: t.TempDir(), SigningKey: key, Sinks: []Sink{sink},
		FsyncInterval: time.Hour, QueueSize: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	emitN(p, secevent.ActionSignOut, 15)
	if st := p.Stats(); st.Dropped != 5 || st.LastSeq != 10 {
		t.Fatalf("stats %+v", st)
	}
	mustClose(t, p)
	recs, _ := sink.snapshot()
	checkChain(t, recs, 1, 10)
	p.Emit(logtest.SampleEvent(secevent.ActionSignOut, 0))
	if st := p.Stats(); st.Dropped != 6 {
		t.Fatalf("emit after close not counted: %+v", st)
	}
}

// A killed edge (no Close) loses only what was not yet fsynced; the
// sequence continues after restart and every durable record reaches the
// sinks exactly once.
func TestPipelineKillLosesOnlyUnsynced(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	sink := newMemSink("m")
	p, err := NewPipeline(Config{
		Instance: "edge-test", SpoolDir: dir, SigningKey: key, Sinks: []Sink{sink},
		FsyncInterval: 20 * time.Millisecond, RetryMin: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	emitN(p, secevent.ActionSignInSucceeded, 500)
	logtest.WaitFor(t, "first 500 delivered", func() bool { return p.Stats().Sinks[0].DeliveredSeq == 500 })
	// Kill the writer as SIGKILL would, then emit: these events are
	// queued after the last fsync and must be the only loss.
	p.crashed.Store(true)
	p.stopWriter()
	emitN(p, secevent.ActionSignInSucceeded, 100)
	if st := p.Stats(); st.LastSeq != 600 || st.QueueDepth != 100 {
		t.Fatalf("before kill: %+v", st)
	}
	p.crash()
	durable := p.Stats().DurableSeq
	if durable != 500 {
		t.Fatalf("durable %d, want 500", durable)
	}

	sink2 := newMemSink("m")
	// The new sink instance starts empty, as after a restart of a store
	// that only keeps what it was given: replay from the cursor fills it
	// with whatever the old one had not acknowledged.
	prevRecs, _ := sink.snapshot()
	for _, r := range prevRecs {
		sink2.last[r.Instance] = r.Seq
		sink2.recs = append(sink2.recs, r)
	}
	p2, err := NewPipeline(Config{
		Instance: "edge-test", SpoolDir: dir, SigningKey: key, Sinks: []Sink{sink2},
		FsyncInterval: 5 * time.Millisecond, RetryMin: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := p2.Stats(); st.LastSeq != durable {
		t.Fatalf("resumed at %d, want %d", st.LastSeq, durable)
	}
	emitN(p2, secevent.ActionSignOut, 50)
	mustClose(t, p2)
	recs, _ := sink2.snapshot()
	checkChain(t, recs, 1, durable+50)
	if sink2.replays != 0 {
		t.Fatalf("%d records handed twice", sink2.replays)
	}
}

// A dead local disk: Emit never blocks, the queue (including the batch
// held for retry) stays within its bound, refused events are counted and
// never leave a gap; once the disk is back everything queued arrives.
func TestPipelineSpoolWriteFailures(t *testing.T) {
	key := logtest.TestKey(t)
	sink := newMemSink("m")
	p, err := NewPipeline(Config{
		Instance: "edge-test", SpoolDir: t.TempDir(), SigningKey: key, Sinks: []Sink{sink},
		FsyncInterval: time.Millisecond, QueueSize: 500, RetryMin: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	broken := true
	fail := func() error {
		mu.Lock()
		defer mu.Unlock()
		if broken {
			return errors.New("injected EIO")
		}
		return nil
	}
	p.sp.failWrite.Store(&fail)
	emitN(p, secevent.ActionSignInFailed, 2000)
	logtest.WaitFor(t, "spool errors", func() bool { return p.Stats().SpoolErrors > 2 })
	st := p.Stats()
	if st.LastSeq != 500 || st.Dropped != 1500 || st.QueueDepth != 500 || st.DurableSeq != 0 {
		t.Fatalf("with a dead disk: %+v", st)
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	for i := 0; i < 10; i++ {
		logtest.WaitFor(t, "queue drained", func() bool { return p.Stats().QueueDepth == 0 })
		p.Emit(logtest.SampleEvent(secevent.ActionSignOut, i))
	}
	mustClose(t, p)
	recs, _ := sink.snapshot()
	checkChain(t, recs, 1, 510)
}
