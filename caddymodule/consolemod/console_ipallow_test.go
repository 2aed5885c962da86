package consolemod_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// consoleBehindAllowlist is the console as docs/console.md places it on a
// site: behind ocomms_ip_allow for its path, then the admin session.
var consoleBehindAllowlist = modtest.SiteCaddyfile(`localhost {
	ocomms_headers
	ocomms_ip_allow {
		allow {ALLOW}
		path /ops/console
	}
	ocomms_console {
		prefix /ops/console
		session_url {APP}/api/auth/get-session
	}
	reverse_proxy {UPSTREAM_HOST}
}
`)

// TestConsoleBehindIPAllowlist: a client outside the allowlist gets 403 and
// no data even with an admin session; inside it, the admin session still
// decides.
func TestConsoleBehindIPAllowlist(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	upstream := modtest.Serve(t, demoupstream.NewHandler(demoupstream.Options{}))
	app := "http://" + modtest.Serve(t, roleApp())
	paths := []string{"/ops/console/", "/ops/console/api/lockouts", "/ops/console/api/events", "/ops/console/assets/console.js"}

	// The test's client comes from 127.0.0.1: outside 203.0.113.0/24.
	outside := edgetest.New(t)
	outside.Load(t, consoleBehindAllowlist, "{ALLOW}", "203.0.113.0/24", "{APP}", app, "{UPSTREAM_HOST}", upstream)
	ce := &consoleEdge{Edge: outside}
	for _, p := range paths {
		st, hdr, raw := ce.do(t, http.MethodGet, outside.URL(p), "", "Cookie", "better-auth.session_token=adm")
		var b struct{ Code, Message, Error string }
		if st != http.StatusForbidden || json.Unmarshal(raw, &b) != nil || b.Code == "" || b.Message == "" || b.Error == "" {
			t.Errorf("admin outside the allowlist, %s: %d %s", p, st, raw)
		}
		if strings.Contains(string(raw), "lockouts") || strings.Contains(string(raw), "events") || strings.Contains(string(raw), "<html") {
			t.Errorf("admin outside the allowlist, %s: data in the refusal: %s", p, raw)
		}
		if hdr.Get("Content-Security-Policy") == "" || hdr.Get("Strict-Transport-Security") == "" {
			t.Errorf("%s: the refusal lacks the security headers: %v", p, hdr)
		}
	}

	// The same edge reloaded with the test's own network allowed.
	outside.Load(t, consoleBehindAllowlist, "{ALLOW}", "127.0.0.0/8 ::1", "{APP}", app, "{UPSTREAM_HOST}", upstream)
	if st, _, raw := ce.do(t, http.MethodGet, outside.URL("/ops/console/api/lockouts"), "", "Cookie", "better-auth.session_token=usr"); st != http.StatusForbidden {
		t.Errorf("non-admin inside the allowlist: %d %s", st, raw)
	}
	if st, _, raw := ce.do(t, http.MethodGet, outside.URL("/ops/console/"), "", "Cookie", "better-auth.session_token=adm"); st != http.StatusOK || !strings.Contains(string(raw), "<html") {
		t.Errorf("admin inside the allowlist: %d %.200s", st, raw)
	}
}
