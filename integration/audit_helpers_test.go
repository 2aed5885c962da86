package integration

import (
	"crypto/ed25519"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog"
	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/secevent"
)

// readAuditEvents decodes the audit records in dir (see audittest.ReadAuditEvents).
func readAuditEvents(t *testing.T, dir string) []secevent.Event {
	return audittest.ReadAuditEvents(t, dir)
}

// waitAuditAction waits up to timeout for n events of action in dir.
func waitAuditAction(t *testing.T, dir string, action secevent.Action, n int, timeout time.Duration) []secevent.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got []secevent.Event
		for _, e := range readAuditEvents(t, dir) {
			if e.Action == action {
				got = append(got, e)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s events after %s, want %d", len(got), action, timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// auditProcessCaddyfile is an edge process with a JSONL audit log, a
// rate-limit zone of one request a minute on /tight and admin-action
// recognition against the demo app's sessions.
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

// startAuditEdge skips in -short mode (it builds the binary), then starts
// the demo app and an edge process in front of it on
// auditProcessCaddyfile, with a free admin address and the audit log in a
// fresh folder. It returns the app, the process, the admin address and the
// audit folder.
func startAuditEdge(t *testing.T) (app *demoupstream.Handler, p *edgeProcess, admin, auditDir string) {
	t.Helper()
	skipInShort(t, "builds the binary")
	app = demoupstream.NewHandler(demoupstream.Options{})
	up := httptest.NewServer(app)
	t.Cleanup(up.Close)
	auditDir = filepath.Join(t.TempDir(), "audit")
	admin, adminPort := freeAdminAddr(t)
	cfg := strings.NewReplacer("{ADMINPORT}", adminPort, "{AUDIT}", auditDir,
		"{UPSTREAM}", strings.TrimPrefix(up.URL, "http://")).Replace(auditProcessCaddyfile)
	return app, startEdgeProcess(t, cfg), admin, auditDir
}

// auditPublicKeyFile writes the checkpoint verification key of the audit
// log in dir (its signing key is dir/checkpoint.key) to a PEM file and
// returns the file's path.
func auditPublicKeyFile(t *testing.T, dir string) string {
	t.Helper()
	key, err := auditlog.LoadOrCreateSigningKey(filepath.Join(dir, "checkpoint.key"))
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := auditlog.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "audit.pub")
	if err := os.WriteFile(pub, pemKey, 0o644); err != nil {
		t.Fatal(err)
	}
	return pub
}
