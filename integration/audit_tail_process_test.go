package integration

import (
	"bytes"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestAuditTailSignedWhenIdleAgainstTheBinary: the README promises a signed
// checkpoint ≤ 1 s after the last record even when no further event comes.
// The edge records a refusal, stays idle, and is SIGKILLed 1.5 s later (no
// clean close, so no closing checkpoint). Then:
//   - dropping the last record line but leaving the checkpoints fails
//     `verify` (records end before the newest checkpoint's seq);
//   - cutting the record together with the checkpoints after it fails
//     `verify --anchor` (Caddy's log mirror holds the checkpoint).
func TestAuditTailSignedWhenIdleAgainstTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	app := demoupstream.NewHandler(demoupstream.Options{})
	up := httptest.NewServer(app)
	t.Cleanup(up.Close)
	auditDir := filepath.Join(t.TempDir(), "audit")
	admin := "127.0.0.1:" + strconv.Itoa(edgetest.FreePort(t))
	cfg := strings.NewReplacer("{ADMINPORT}", strings.TrimPrefix(admin, "127.0.0.1:"), "{AUDIT}", auditDir,
		"{UPSTREAM}", strings.TrimPrefix(up.URL, "http://")).Replace(auditProcessCaddyfile)
	p := startEdgeProcess(t, cfg)

	// Two refusals: the second comes right after the first, inside the
	// checkpoint interval, so only the idle checkpoint can cover it.
	for i := 0; i < 3; i++ {
		if r, err := http.Get(p.URL("/tight")); err == nil {
			r.Body.Close()
		}
	}
	waitAuditAction(t, auditDir, secevent.ActionRateLimited, 2, 10*time.Second)
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()

	key, err := chain.LoadOrCreateSigningKey(filepath.Join(auditDir, "checkpoint.key"))
	if err != nil {
		t.Fatal(err)
	}
	pemKey, _ := chain.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	pub := filepath.Join(t.TempDir(), "audit.pub")
	if err := os.WriteFile(pub, pemKey, 0o644); err != nil {
		t.Fatal(err)
	}
	verify := func(extra ...string) (string, error) {
		args := append([]string{"ocomms", "audit", "verify", "--jsonl", auditDir, "--public-key", pub}, extra...)
		out, err := exec.Command(edgeBinary(t), args...).CombinedOutput()
		return string(out), err
	}
	if out, err := verify("--anchor", p.log); err != nil || !strings.Contains(out, "OK:") {
		t.Fatalf("verify of the intact log after the kill: %v\n%s", err, out)
	}

	files, _ := filepath.Glob(filepath.Join(auditDir, "audit-*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("day files: %v", files)
	}
	orig, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(orig, []byte("\n"))
	lastRecord := -1
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte(`{"instance":`)) {
			lastRecord = i
		}
	}
	if lastRecord < 0 || lastRecord == len(lines)-1 || !bytes.Contains(bytes.Join(lines[lastRecord+1:], nil), []byte(`"checkpoint"`)) {
		t.Fatalf("the last record has no checkpoint after it 1.5 s after the last event:\n%s", orig)
	}

	// The last record line removed, its checkpoint kept.
	cut := append(append([][]byte{}, lines[:lastRecord]...), lines[lastRecord+1:]...)
	if err := os.WriteFile(files[0], bytes.Join(cut, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(); err == nil || !strings.Contains(out, "truncated") {
		t.Fatalf("verify passed a log whose records end before its newest checkpoint: %v\n%s", err, out)
	}

	// The tail cut with its checkpoints: only the log mirror remembers.
	if err := os.WriteFile(files[0], bytes.Join(lines[:lastRecord], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := verify("--anchor", p.log); err == nil || !strings.Contains(out, "TAMPERED") {
		t.Fatalf("verify --anchor missed the cut tail: %v\n%s", err, out)
	}
}
