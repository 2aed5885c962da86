package auditmod_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/caddymodule/auditmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// writePublicKey derives the checkpoint public key from the edge's key file
// and writes it where verify can read it.
func writePublicKey(t *testing.T, dir string) string {
	t.Helper()
	key, err := chain.LoadOrCreateSigningKey(filepath.Join(dir, "checkpoint.key"))
	if err != nil {
		t.Fatal(err)
	}
	pem, err := chain.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "audit.pub")
	if err := os.WriteFile(p, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runCLI runs `caddy ocomms audit <args>` and returns its output and error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := auditmod.NewAuditCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestAuditAcrossReloadsVerifyAndTamper(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	e := startAuditEdge(t)
	cookie, _ := e.app.NewSessionCookie("demo@ocomms.test")
	e.post(t, "/api/admin/export", "application/json", `{}`, "Cookie", cookie.String())
	modtest.WaitAudit(t, e.dir, 1, modtest.OfAction(secevent.ActionAdmin))
	first := auditmod.ActiveAudit()

	// The same config again: the same pipeline, kept across the reload.
	e.Load(t, auditCaddyfile, "{UPSTREAM}", strings.TrimSuffix(e.sessionURL(t), "/api/auth/get-session"),
		"{UPSTREAM_HOST}", strings.TrimPrefix(strings.TrimSuffix(e.sessionURL(t), "/api/auth/get-session"), "http://"))
	if auditmod.ActiveAudit() != first {
		t.Fatal("an unchanged config opened a new audit pipeline")
	}
	e.post(t, "/api/admin/export", "application/json", `{}`, "Cookie", cookie.String())
	modtest.WaitAudit(t, e.dir, 2, modtest.OfAction(secevent.ActionAdmin))

	// Changed settings: a new pipeline takes the chain over.
	up := strings.TrimSuffix(e.sessionURL(t), "/api/auth/get-session")
	e.Load(t, strings.Replace(auditCaddyfile, "instance test-edge", "instance test-edge\n\t\t\tfsync_interval 50ms", 1),
		"{UPSTREAM}", up, "{UPSTREAM_HOST}", strings.TrimPrefix(up, "http://"))
	if auditmod.ActiveAudit() == first {
		t.Fatal("changed settings kept the old pipeline")
	}
	e.post(t, "/api/admin/export", "application/json", `{}`, "Cookie", cookie.String())
	modtest.WaitAudit(t, e.dir, 3, modtest.OfAction(secevent.ActionAdmin))
	loads := modtest.WaitAudit(t, e.dir, 3, modtest.OfAction(secevent.ActionConfigLoaded))
	if len(loads) != 3 {
		t.Fatalf("%d configuration_loaded events for 3 loads", len(loads))
	}

	// The admin API verifies the running store.
	resp, err := http.Get("http://" + e.AdminAddr + "/ocomms/audit/verify")
	if err != nil {
		t.Fatal(err)
	}
	var res setup.VerifyResult
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != 200 || !res.OK || res.Records < 6 || res.Store != "jsonl" {
		t.Fatalf("admin verify: %d %+v", resp.StatusCode, res)
	}

	// Offline, once the edge stopped: the CLI verifies, then catches an edit.
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
	pub := writePublicKey(t, e.dir)
	printed, err := runCLI(t, "public-key", "--signing-key-file", filepath.Join(e.dir, "checkpoint.key"))
	if want, _ := os.ReadFile(pub); err != nil || printed != string(want) {
		t.Fatalf("public-key printed %q (%v), want %q", printed, err, want)
	}
	if _, err := runCLI(t, "public-key", "--signing-key-file", filepath.Join(e.dir, "none.key")); err == nil {
		t.Fatal("public-key of a missing file succeeded")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "none.key")); err == nil {
		t.Fatal("public-key created a key")
	}
	out, err := runCLI(t, "verify", "--jsonl", e.dir, "--public-key", pub)
	if err != nil || !strings.Contains(out, "OK:") {
		t.Fatalf("verify of an untouched log: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(e.dir, "audit-*.jsonl"))
	data, _ := os.ReadFile(files[0])
	edited := bytes.Replace(data, []byte(`"status_code":401`), []byte(`"status_code":200`), 1)
	if bytes.Equal(edited, data) {
		edited = bytes.Replace(data, []byte(`"outcome":"success"`), []byte(`"outcome":"failure"`), 1)
	}
	if bytes.Equal(edited, data) {
		t.Fatal("nothing to tamper with")
	}
	os.WriteFile(files[0], edited, 0o600)
	out, err = runCLI(t, "verify", "--jsonl", e.dir, "--public-key", pub)
	if err == nil || !strings.Contains(err.Error(), "first bad seq") {
		t.Fatalf("verify missed an edit: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "verify", "--jsonl", e.dir); err == nil {
		t.Fatal("verify without a public key succeeded")
	}
}
