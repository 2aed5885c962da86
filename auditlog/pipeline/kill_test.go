package pipeline

import (
	"bufio"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/secevent"
)

const killChildEnv = "AUDITLOG_KILL_CHILD_SPOOL"

// TestKillProcessLosesOnlyUnsynced runs a real edge-like process that
// emits at 5,000 events/s and reports its durable seq, SIGKILLs it, and
// reopens its spool: every record it reported durable is there, the chain
// is intact and the sequence continues.
func TestKillProcessLosesOnlyUnsynced(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillProcessLosesOnlyUnsynced$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var reported uint64
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(60 * time.Second)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "durable "); ok {
			reported, _ = strconv.ParseUint(n, 10, 64)
		}
		if reported >= 3000 || time.Now().After(deadline) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(werr, &ee) {
		t.Fatalf("child did not die of the kill: %v", werr)
	}
	if reported < 3000 {
		t.Fatalf("child reported only %d durable", reported)
	}

	key, err := chain.LoadOrCreateSigningKey(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink("down") // the child's sink name: its cursor (0) applies
	p, err := NewPipeline(Config{Instance: "edge-kill", SpoolDir: filepath.Join(dir, "spool"), SigningKey: key, Sinks: []Sink{sink},
		FsyncInterval: 5 * time.Millisecond, RetryMin: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	resumed := p.Stats().LastSeq
	if resumed < reported {
		t.Fatalf("resumed at %d, but %d were reported durable before the kill", resumed, reported)
	}
	p.Emit(logtest.SampleEvent(secevent.ActionSignOut, 0))
	mustClose(t, p)
	recs, cps := sink.snapshot()
	checkChain(t, recs, 1, resumed+1)
	checkCheckpoints(t, cps, key.Public().(ed25519.PublicKey))
	t.Logf("reported durable %d, resumed at %d (lost at most the events after the last fsync)", reported, resumed)
}

// killChild is the process that gets killed: a pipeline whose only sink is
// down (so the spool keeps everything), emitting at 5,000 events/s.
func killChild(dir string) {
	key, err := chain.LoadOrCreateSigningKey(filepath.Join(dir, "key"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	down := newMemSink("down")
	down.fail = func() bool { return true }
	p, err := NewPipeline(Config{Instance: "edge-kill", SpoolDir: filepath.Join(dir, "spool"), SigningKey: key, Sinks: []Sink{down},
		RetryMin: time.Second, RetryMax: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	start := time.Now()
	for i := 0; ; i++ {
		if d := time.Until(start.Add(time.Duration(i) * 200 * time.Microsecond)); d > 0 {
			time.Sleep(d)
		}
		p.Emit(logtest.SampleEvent(secevent.ActionSignInFailed, i))
		if i%50 == 0 {
			fmt.Fprintf(w, "durable %d\n", p.Stats().DurableSeq)
			w.Flush()
		}
	}
}
