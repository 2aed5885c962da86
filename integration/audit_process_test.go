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
	"syscall"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/secevent"
)

const auditProcessCaddyfile = `{
	admin 127.0.0.1:{ADMINPORT}
	ocomms {
		audit {
			jsonl {AUDIT}
			instance proc-edge
		}
	}
}
http://127.0.0.1:{PORT} {
	ocomms_rate_limit none {
		zone tight {
			match {
				path /tight
			}
			rate 1/1m
			key client_ip
		}
	}
	ocomms_audit {
		session_url http://{UPSTREAM}/api/auth/get-session
	}
	reverse_proxy {UPSTREAM}
}
`

// TestAuditCommandsAgainstTheBinary runs the built edge, records an admin
// action and a refusal, then uses `ocomms-caddy ocomms audit query` (through
// the admin API, then offline on the files once the edge stopped) and
// `ocomms audit verify`, whose exit status tells an intact log from an edited
// one.
func TestAuditCommandsAgainstTheBinary(t *testing.T) {
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
	admins := waitAuditAction(t, auditDir, secevent.ActionAdmin, 1, 10*time.Second)
	waitAuditAction(t, auditDir, secevent.ActionRateLimited, 1, 10*time.Second)
	if admins[0].UserEmail != demoupstream.DemoEmail || admins[0].SourceIP != "127.0.0.1" {
		t.Fatalf("admin event %+v", admins[0])
	}

	cli := func(args ...string) (string, error) {
		out, err := exec.Command(edgeBinary(t), append([]string{"ocomms", "audit"}, args...)...).CombinedOutput()
		return string(out), err
	}
	out, err := cli("query", "--address", admin, "--type", "admin_action")
	if err != nil || !strings.Contains(out, demoupstream.DemoEmail) || !strings.Contains(out, "1 events") {
		t.Fatalf("query --address: %v\n%s", err, out)
	}

	// Stop the edge (SIGTERM: a clean shutdown flushes the pipeline).
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("edge did not stop on SIGTERM")
	}

	out, err = cli("query", "--jsonl", auditDir, "--ip", "127.0.0.1", "--type", "rate_limited,admin_action")
	if err != nil || !strings.Contains(out, "rate_limited") || !strings.Contains(out, "admin_action") || !strings.Contains(out, "2 events") {
		t.Fatalf("offline query: %v\n%s", err, out)
	}
	key, err := chain.LoadOrCreateSigningKey(filepath.Join(auditDir, "checkpoint.key"))
	if err != nil {
		t.Fatal(err)
	}
	pemKey, _ := chain.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	pub := filepath.Join(t.TempDir(), "audit.pub")
	os.WriteFile(pub, pemKey, 0o644)
	if out, err := cli("verify", "--jsonl", auditDir, "--public-key", pub); err != nil || !strings.Contains(out, "OK:") {
		t.Fatalf("verify of an intact log: %v\n%s", err, out)
	}

	// Delete the second record line: verify must fail and name seq 2.
	files, _ := filepath.Glob(filepath.Join(auditDir, "audit-*.jsonl"))
	data, _ := os.ReadFile(files[0])
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
	os.WriteFile(files[0], bytes.Join(kept, nil), 0o600)
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
	os.WriteFile(files[0], bytes.Join(head, nil), 0o600)
	out, err = cli("verify", "--jsonl", auditDir, "--public-key", pub, "--anchor", p.log)
	if err == nil || !strings.Contains(out, "TAMPERED") {
		t.Fatalf("verify --anchor missed a cut tail: %v\n%s", err, out)
	}
}
