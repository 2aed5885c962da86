package auditmod_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/caddymodule/auditmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/secevent"
)

func TestAuditAcrossReloadsVerifyAndTamper(t *testing.T) {
	e := startAuditEdge(t)
	cookie := e.demoSession(t)
	e.post(t, "/api/admin/export", "application/json", `{}`, "Cookie", cookie.String())
	modtest.WaitAudit(t, e.dir, 1, modtest.OfAction(secevent.ActionAdmin))
	first := auditmod.ActiveAudit()

	// The same config again: the same pipeline, kept across the reload.
	e.Load(t, auditCaddyfile, e.upstreamArgs()...)
	if auditmod.ActiveAudit() != first {
		t.Fatal("an unchanged config opened a new audit pipeline")
	}
	e.post(t, "/api/admin/export", "application/json", `{}`, "Cookie", cookie.String())
	modtest.WaitAudit(t, e.dir, 2, modtest.OfAction(secevent.ActionAdmin))

	// Changed settings: a new pipeline takes the chain over.
	e.Load(t, auditCaddyfileWith("fsync_interval 50ms"), e.upstreamArgs()...)
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
	var res setup.VerifyResult
	if st := adminGet(t, e, "/ocomms/audit/verify", &res); st != 200 || !res.OK || res.Records < 6 || res.Store != "jsonl" {
		t.Fatalf("admin verify: %d %+v", st, res)
	}

	// Offline, once the edge stopped: the CLI verifies, then catches an edit.
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
	pub := audittest.PublicKeyFile(t, e.dir)
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
