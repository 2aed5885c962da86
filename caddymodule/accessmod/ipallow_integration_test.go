package accessmod_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	_ "github.com/ocomms/ocomms-edge/caddymodule" // every module and the ocomms app, as a build has them
	"github.com/ocomms/ocomms-edge/caddymodule/accessmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/secevent"
)

var ipAllowCaddyfile = modtest.SiteCaddyfile(`localhost {
	ocomms_headers
	ocomms_ip_allow {
		preset ocomms
		allow {ALLOW}
	}
	reverse_proxy {UPSTREAM}
}
`, modtest.AuditJSONL, "servers {\n\t\ttrusted_proxies static {TRUSTED}\n\t\ttrusted_proxies_strict\n\t\tclient_ip_headers X-Forwarded-For\n\t}")

// TestIPAllowThroughCaddy: through a real Caddy, an admin request from a
// client outside the list gets 403 JSON with the security headers, is not
// forwarded, and is recorded once and counted; a spoofed X-Forwarded-For
// from an untrusted peer changes nothing; other paths pass.
func TestIPAllowThroughCaddy(t *testing.T) {
	up, hits := appUpstream(t)
	e := edgetest.New(t)
	// The test client is 127.0.0.1; the list does not contain it, and
	// nobody is a trusted proxy (a documentation range no peer has).
	e.Load(t, ipAllowCaddyfile, "{UPSTREAM}", strings.TrimPrefix(up.URL, "http://"),
		"{ALLOW}", "10.0.0.0/8,2001:db8::/32", "{TRUSTED}", "192.0.2.250/32")
	before := deniedCount("ip_allow", "path")

	resp, body := e.Do(t, "POST", "/api/admin/export", "X-Forwarded-For", "10.1.2.3", "X-Real-IP", "10.1.2.3")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, body %s", resp.StatusCode, body)
	}
	var b struct{ Code, Message, Error string }
	if err := json.Unmarshal([]byte(body), &b); err != nil || b.Code != "IP_NOT_ALLOWED" || b.Message == "" || b.Error != b.Message {
		t.Fatalf("body %s", body)
	}
	for _, h := range []string{"Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("403 lacks %s: %v", h, resp.Header)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the refused request reached the app")
	}
	if got := deniedCount("ip_allow", "path") - before; got != 1 {
		t.Fatalf("counter moved by %v", got)
	}
	// A server action on an admin page is refused too.
	if resp, _ := e.Do(t, "POST", "/acme/settings/members", "Next-Action", "7f00aa", "Accept", "text/x-component"); resp.StatusCode != 403 {
		t.Fatalf("server action: status %d", resp.StatusCode)
	}
	// Not administrative: forwarded.
	for _, p := range []string{"/", "/api/channels", "/acme/settings/members"} {
		if resp, body := e.Do(t, "GET", p); resp.StatusCode != 200 || body != "app" {
			t.Fatalf("GET %s: %d %s", p, resp.StatusCode, body)
		}
	}
	if hits.Load() != 3 {
		t.Fatalf("app saw %d requests, want 3", hits.Load())
	}
	evs := modtest.WaitAudit(t, filepath.Join(e.Dir, "audit"), 2, modtest.OfAction(secevent.ActionAccessDenied))
	if len(evs) != 2 {
		t.Fatalf("%d access_denied events, want 2: %+v", len(evs), evs)
	}
	ev := evs[0]
	if ev.SourceIP != "127.0.0.1" || ev.Path != "/api/admin/export" || ev.Status != 403 || ev.Labels["rule"] != "path" || ev.Labels["by"] != "ip_allow" {
		t.Fatalf("event %+v", ev)
	}
}

// TestIPAllowTrustedProxies: behind a trusted proxy, the forwarded client
// address is the one judged (strict mode: the right-most untrusted one).
func TestIPAllowTrustedProxies(t *testing.T) {
	up, hits := appUpstream(t)
	e := edgetest.New(t)
	e.Load(t, ipAllowCaddyfile, "{UPSTREAM}", strings.TrimPrefix(up.URL, "http://"),
		"{ALLOW}", "10.0.0.0/8", "{TRUSTED}", "127.0.0.1/32")
	if resp, body := e.Do(t, "GET", "/api/admin/audit-logs", "X-Forwarded-For", "10.1.2.3"); resp.StatusCode != 200 || body != "app" {
		t.Fatalf("forwarded allowed client: %d %s", resp.StatusCode, body)
	}
	// The left-most entry is the client's own claim; the proxy appended
	// the real address, which is outside the list.
	if resp, _ := e.Do(t, "GET", "/api/admin/audit-logs", "X-Forwarded-For", "10.1.2.3, 203.0.113.5"); resp.StatusCode != 403 {
		t.Fatalf("forwarded outside client: %d", resp.StatusCode)
	}
	// No header: the proxy itself (127.0.0.1), outside the list.
	if resp, _ := e.Do(t, "GET", "/api/admin/audit-logs"); resp.StatusCode != 403 {
		t.Fatalf("the proxy's own address: %d", resp.StatusCode)
	}
	if hits.Load() != 1 {
		t.Fatalf("app saw %d requests, want 1", hits.Load())
	}
}

// TestIPAllowEmptyIsOff: an empty allow line (an unset
// OCOMMS_ADMIN_ALLOW) lets everything through.
func TestIPAllowEmptyIsOff(t *testing.T) {
	up, hits := appUpstream(t)
	e := edgetest.New(t)
	e.Load(t, ipAllowCaddyfile, "{UPSTREAM}", strings.TrimPrefix(up.URL, "http://"), "{ALLOW}", "", "{TRUSTED}", "192.0.2.250/32")
	if resp, _ := e.Do(t, "POST", "/api/admin/export"); resp.StatusCode != 200 || hits.Load() != 1 {
		t.Fatalf("status %d, hits %d", resp.StatusCode, hits.Load())
	}
}

// deniedCount reads ocomms_access_denied_total{by, rule}.
func deniedCount(by, rule string) float64 {
	var m dto.Metric
	if err := accessmod.AccessDenied.WithLabelValues(by, rule).Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// TestIPAllowServerActionManifestThroughCaddy: with the app build's
// manifest, adminUnlockUser's id posted to any page is refused from
// outside the list; other actions pass.
func TestIPAllowServerActionManifestThroughCaddy(t *testing.T) {
	up, hits := appUpstream(t)
	e := edgetest.New(t)
	manifest, err := os.ReadFile(filepath.Join("..", "..", "ipallow", "testdata", "server-reference-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	e.WriteFile(t, "manifest.json", string(manifest))
	cfg := strings.Replace(ipAllowCaddyfile, "\t\tpreset ocomms\n", "\t\tpreset ocomms\n\t\tserver_action_manifest {DIR}/manifest.json\n", 1)
	e.Load(t, cfg, "{UPSTREAM}", strings.TrimPrefix(up.URL, "http://"), "{ALLOW}", "10.0.0.0/8", "{TRUSTED}", "192.0.2.250/32")
	const unlock = "40a7c3e9f1d2b4a6c8e0f1a3b5c7d9e1f3a5b7c9d1"
	if resp, _ := e.Do(t, "POST", "/acme/channels/general", "Next-Action", unlock); resp.StatusCode != 403 {
		t.Fatalf("adminUnlockUser posted to a channel page: %d", resp.StatusCode)
	}
	if resp, body := e.Do(t, "POST", "/acme/channels/general", "Next-Action", "60115d384e51c166e529e3fe573d745003693eb36c"); resp.StatusCode != 200 || body != "app" {
		t.Fatalf("getChannels: %d %s", resp.StatusCode, body)
	}
	if hits.Load() != 1 {
		t.Fatalf("app saw %d requests, want 1", hits.Load())
	}
	if err := e.TryLoad(t, strings.Replace(cfg, "{DIR}/manifest.json", "{DIR}/missing.json", 1), "{UPSTREAM}", "127.0.0.1:1",
		"{ALLOW}", "10.0.0.0/8", "{TRUSTED}", "192.0.2.250/32"); err == nil || !strings.Contains(err.Error(), "server_action_manifest") {
		t.Fatalf("a missing manifest: %v", err)
	}
}

// TestMain keeps Caddy's data directory out of the home directory.
func TestMain(m *testing.M) { modtest.Main(m) }
