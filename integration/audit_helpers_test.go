package integration

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
)

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
