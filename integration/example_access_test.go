package integration

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/nodeapp"
)

// TestExampleIPAllow: Caddyfile.example reads OCOMMS_ADMIN_ALLOW. Set, an
// admin request from 127.0.0.1 gets the 403 JSON with the security
// headers, whatever X-Forwarded-For claims; trusted as a proxy, the
// forwarded address counts. Empty, admin requests reach the app.
func TestExampleIPAllow(t *testing.T) {
	skipInShort(t, "starts Caddy")
	t.Run("set", func(t *testing.T) {
		t.Setenv("OCOMMS_ADMIN_ALLOW", "10.0.0.0/8, 2001:db8::/32")
		e, _ := startExample(t)
		resp, body := e.Do(t, "POST", "/api/admin/export", "X-Forwarded-For", "10.1.2.3")
		if resp.StatusCode != 403 || !strings.Contains(body, `"code":"IP_NOT_ALLOWED"`) || resp.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("admin from outside: %d %s %v", resp.StatusCode, body, resp.Header)
		}
		if resp, _ := e.Do(t, "GET", "/"); resp.StatusCode != 200 {
			t.Fatalf("GET /: %d", resp.StatusCode)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		t.Setenv("OCOMMS_ADMIN_ALLOW", "10.0.0.0/8")
		t.Setenv("OCOMMS_TRUSTED_PROXIES", "127.0.0.1/32")
		e, _ := startExample(t)
		// The demo app answers 401 without a session: the request reached it.
		if resp, body := e.Do(t, "POST", "/api/admin/export", "X-Forwarded-For", "10.1.2.3"); resp.StatusCode != 401 {
			t.Fatalf("admin from an allowed client behind the proxy: %d %s", resp.StatusCode, body)
		}
		if resp, _ := e.Do(t, "POST", "/api/admin/export", "X-Forwarded-For", "192.0.2.9"); resp.StatusCode != 403 {
			t.Fatalf("admin from an outside client behind the proxy: %d", resp.StatusCode)
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Setenv("OCOMMS_ADMIN_ALLOW", "")
		e, _ := startExample(t)
		if resp, body := e.Do(t, "POST", "/api/admin/export"); resp.StatusCode != 401 {
			t.Fatalf("admin with the allowlist off: %d %s", resp.StatusCode, body)
		}
	})
}

// originClientResult is what testapps/socketio/origin-client.mjs prints.
type originClientResult struct {
	Connected   bool   `json:"connected"`
	Transport   string `json:"transport"`
	Upgraded    bool   `json:"upgraded"`
	Echo        string `json:"echo"`
	Error       string `json:"error"`
	Description string `json:"description"`
}

// runOriginClient runs the real socket.io-client 4.8 against url.
func runOriginClient(t *testing.T, url, mode, origin string) originClientResult {
	t.Helper()
	out, err := nodeapp.Command(t, "socketio", "origin-client.mjs", url, mode, origin).CombinedOutput()
	if err != nil {
		t.Fatalf("origin-client %s %s: %v\n%s", mode, origin, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res originClientResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("origin-client output: %v\n%s", err, out)
	}
	return res
}

// TestExampleOriginSocketIO runs Caddyfile.example in front of the real
// Socket.IO 4.8 server (testapps/socketio) and drives the real
// socket.io-client 4.8: a foreign Origin is refused with 403 on both
// transports (while the server itself, asked directly, accepts it: the
// refusal is the edge's), the site's own origin connects over polling,
// upgrades to websocket and echoes, and a client without Origin (a native
// app) connects.
func TestExampleOriginSocketIO(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy and Node")
	}
	app := nodeapp.Start(t, "socketio", nodeapp.Options{Args: []string{"server.mjs"}})
	if res := runOriginClient(t, app.URL(), "websocket", "https://evil.example.com"); !res.Connected || res.Echo != "hello" {
		t.Fatalf("the Socket.IO server refuses a foreign origin itself (%+v): this test would prove nothing about the edge", res)
	}
	t.Setenv("OCOMMS_ALLOWED_ORIGINS", "https://app.example.com")
	e := startExampleFor(t, app.Addr())
	self := strings.TrimSuffix(e.URL(""), "/")

	for _, tc := range []struct{ mode, origin string }{
		{"polling", "https://evil.example.com"},
		{"websocket", "https://evil.example.com"},
		{"polling", "https://localhost"}, // same site, another origin (no port)
		{"websocket", "null"},
		{"upgrade", "https://evil.example.com"},
	} {
		// engine.io-client reports the handshake's status in the
		// error's description: "403" (polling), "Unexpected server
		// response: 403" (websocket).
		res := runOriginClient(t, e.URL(""), tc.mode, tc.origin)
		if res.Connected || !strings.Contains(res.Description, "403") {
			t.Errorf("%s from %s through the edge: %+v, want a 403 refusal", tc.mode, tc.origin, res)
		} else {
			t.Logf("%s from %s: refused (%s: %s)", tc.mode, tc.origin, res.Error, res.Description)
		}
	}
	for _, tc := range []struct{ mode, origin, transport string }{
		{"upgrade", self, "websocket"},
		{"polling", self, "polling"},
		{"websocket", "https://app.example.com", "websocket"},
		{"polling", "-", "polling"},
		{"websocket", "-", "websocket"},
	} {
		res := runOriginClient(t, e.URL(""), tc.mode, tc.origin)
		if !res.Connected || res.Echo != "hello" || res.Transport != tc.transport || res.Error != "" || (tc.mode == "upgrade") != res.Upgraded {
			t.Errorf("%s from %s through the edge: %+v", tc.mode, tc.origin, res)
		}
	}
}
