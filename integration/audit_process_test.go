package integration

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestAuditCommandsAgainstTheBinary runs the built edge, records an admin
// action and a refusal, then uses `ocomms-caddy ocomms audit query` (through
// the admin API, then offline on the files once the edge stopped) and
// `ocomms audit verify`, whose exit status tells an intact log from an edited
// one.
func TestAuditCommandsAgainstTheBinary(t *testing.T) {
	app, p, admin, auditDir := startAuditEdge(t)

	cookie, err := app.NewSessionCookie(demoupstream.DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, p.URL("/api/admin/export"), strings.NewReader(`{"organizationId":"org-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin export: %v %v", err, resp)
	}
	resp.Body.Close()
	for i := 0; i < 2; i++ {
		if r, err := http.Get(p.URL("/tight")); err == nil {
			r.Body.Close()
		}
	}
	admins := audittest.WaitAuditEvents(t, auditDir, 1, 10*time.Second, audittest.OfAction(secevent.ActionAdmin))
	audittest.WaitAuditEvents(t, auditDir, 1, 10*time.Second, audittest.OfAction(secevent.ActionRateLimited))
	if admins[0].UserEmail != demoupstream.DemoEmail || admins[0].SourceIP != "127.0.0.1" {
		t.Fatalf("admin event %+v", admins[0])
	}

	cli := func(args ...string) (string, error) { return ocommsCLI(t, append([]string{"audit"}, args...)...) }
	out, err := cli("query", "--address", admin, "--type", "admin_action")
	if err != nil || !strings.Contains(out, demoupstream.DemoEmail) || !strings.Contains(out, "1 events") {
		t.Fatalf("query --address: %v\n%s", err, out)
	}

	// Stop the edge (SIGTERM: a clean shutdown flushes the pipeline).
	p.terminate(t)

	out, err = cli("query", "--jsonl", auditDir, "--ip", "127.0.0.1", "--type", "rate_limited,admin_action")
	if err != nil || !strings.Contains(out, "rate_limited") || !strings.Contains(out, "admin_action") || !strings.Contains(out, "2 events") {
		t.Fatalf("offline query: %v\n%s", err, out)
	}
	pub := audittest.PublicKeyFile(t, auditDir)
	if out, err := cli("verify", "--jsonl", auditDir, "--public-key", pub); err != nil || !strings.Contains(out, "OK:") {
		t.Fatalf("verify of an intact log: %v\n%s", err, out)
	}

	// Delete the second record line: verify must fail and name seq 2.
	dayFile, data := audittest.OnlyDayFile(t, auditDir)
	lines := bytes.SplitAfter(data, []byte("\n"))
	var kept [][]byte
	records := 0
	for _, l := range lines {
		if bytes.HasPrefix(l, []byte(`{"instance":`)) {
			records++
			if records == 2 {
				continue
			}
		}
		kept = append(kept, l)
	}
	if err := os.WriteFile(dayFile, bytes.Join(kept, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = cli("verify", "--jsonl", auditDir, "--public-key", pub)
	if err == nil {
		t.Fatalf("verify passed a log with a deleted record:\n%s", out)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 || !strings.Contains(out, "first bad seq 2") {
		t.Fatalf("verify: %v\n%s", err, out)
	}

	// Cut the tail with its checkpoints: Caddy's own log (the zap mirror)
	// still holds them, and --anchor catches the cut.
	var head [][]byte
	for _, l := range lines {
		head = append(head, l)
		if len(head) == 2 {
			break
		}
	}
	if err := os.WriteFile(dayFile, bytes.Join(head, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = cli("verify", "--jsonl", auditDir, "--public-key", pub, "--anchor", p.log)
	if err == nil || !strings.Contains(out, "TAMPERED") {
		t.Fatalf("verify --anchor missed a cut tail: %v\n%s", err, out)
	}
}

// TestAuditTailSignedWhenIdleAgainstTheBinary: the README promises a signed
// checkpoint ≤ 1 s after the last record even when no further event comes.
// The edge records a refusal, stays idle, and is SIGKILLed 1.5 s later (no
// clean close, so no closing checkpoint). Then:
//   - dropping the last record line but leaving the checkpoints fails
//     `verify` (records end before the newest checkpoint's seq);
//   - cutting the record together with the checkpoints after it fails
//     `verify --anchor` (Caddy's log mirror holds the checkpoint).
func TestAuditTailSignedWhenIdleAgainstTheBinary(t *testing.T) {
	_, p, _, auditDir := startAuditEdge(t)

	// Two refusals: the second comes right after the first, inside the
	// checkpoint interval, so only the idle checkpoint can cover it.
	for i := 0; i < 3; i++ {
		if r, err := http.Get(p.URL("/tight")); err == nil {
			r.Body.Close()
		}
	}
	audittest.WaitAuditEvents(t, auditDir, 2, 10*time.Second, audittest.OfAction(secevent.ActionRateLimited))
	time.Sleep(1500 * time.Millisecond)
	p.kill(t)

	pub := audittest.PublicKeyFile(t, auditDir)
	verify := func(extra ...string) (string, error) {
		return ocommsCLI(t, append([]string{"audit", "verify", "--jsonl", auditDir, "--public-key", pub}, extra...)...)
	}
	if out, err := verify("--anchor", p.log); err != nil || !strings.Contains(out, "OK:") {
		t.Fatalf("verify of the intact log after the kill: %v\n%s", err, out)
	}

	dayFile, orig := audittest.OnlyDayFile(t, auditDir)
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
	if err := os.WriteFile(dayFile, bytes.Join(cut, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(); err == nil || !strings.Contains(out, "truncated") {
		t.Fatalf("verify passed a log whose records end before its newest checkpoint: %v\n%s", err, out)
	}

	// The tail cut with its checkpoints: only the log mirror remembers.
	if err := os.WriteFile(dayFile, bytes.Join(lines[:lastRecord], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := verify("--anchor", p.log); err == nil || !strings.Contains(out, "TAMPERED") {
		t.Fatalf("verify --anchor missed the cut tail: %v\n%s", err, out)
	}
}
