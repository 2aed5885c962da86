package accessmod_test

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/secevent"
)

var originCaddyfile = modtest.SiteCaddyfile(`localhost {
	ocomms_headers
	ocomms_origin {
		allow {ALLOWED}
		max_age 5m
	}
	reverse_proxy {UPSTREAM}
}
`, modtest.AuditJSONL)

// TestOriginThroughCaddy: through a real Caddy, foreign origins are
// refused on Socket.IO and on cookie-carrying POSTs with the JSON error
// and the security headers, recorded and counted; the site's own origin
// (https://localhost:<port>, as Caddy sees it) and the listed one pass;
// preflights are answered at the edge; the app's Access-Control-Allow-*
// headers survive only for the listed origin, and then exactly.
func TestOriginThroughCaddy(t *testing.T) {
	// The app answers with a careless Access-Control-Allow-Origin: *.
	up, hits := appUpstream(t, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*")
	e := edgetest.New(t)
	e.Load(t, originCaddyfile, "{UPSTREAM}", strings.TrimPrefix(up.URL, "http://"), "{ALLOWED}", "https://app.example.com,https://bücher.example")
	self := "https://localhost:" + strconv.Itoa(e.HTTPSPort)
	beforeSocket, beforeUnsafe := deniedCount("origin", "socketio"), deniedCount("origin", "unsafe_method")

	refused := []struct {
		method, path string
		header       []string
	}{
		{"GET", "/socket.io/?EIO=4&transport=polling", []string{"Origin", "https://evil.example.com"}},
		{"GET", "/socket.io/?EIO=4&transport=websocket", []string{"Origin", "https://localhost", "Connection", "Upgrade", "Upgrade", "websocket",
			"Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}},
		{"POST", "/api/upload/avatar", []string{"Origin", "null", "Cookie", "better-auth.session_token=x"}},
	}
	for _, tc := range refused {
		resp, body := e.Do(t, tc.method, tc.path, tc.header...)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"ORIGIN_NOT_ALLOWED"`) {
			t.Fatalf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, body)
		}
		for _, h := range []string{"Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s %s: 403 lacks %s", tc.method, tc.path, h)
			}
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("refused requests reached the app: %d", hits.Load())
	}
	if s, u := deniedCount("origin", "socketio")-beforeSocket, deniedCount("origin", "unsafe_method")-beforeUnsafe; s != 2 || u != 1 {
		t.Fatalf("counters moved by %v (socketio), %v (unsafe_method)", s, u)
	}

	// Allowed: the site's own origin, a listed one, none at all.
	for _, o := range []string{self, "https://app.example.com", "https://xn--bcher-kva.example", ""} {
		var h []string
		if o != "" {
			h = []string{"Origin", o, "Cookie", "s=1"}
		}
		resp, body := e.Do(t, "POST", "/api/channels/1/pins", h...)
		if resp.StatusCode != 200 || body != "app" {
			t.Fatalf("POST from %q: %d %s", o, resp.StatusCode, body)
		}
		acao := resp.Header.Get("Access-Control-Allow-Origin")
		switch o {
		case "https://app.example.com", "https://xn--bcher-kva.example":
			if acao != o || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Fatalf("listed %s: ACAO %q, headers %v", o, acao, resp.Header)
			}
		default:
			if acao != "" || resp.Header.Get("Access-Control-Allow-Headers") != "" {
				t.Fatalf("origin %q: the app's CORS headers were kept: %v", o, resp.Header)
			}
		}
		if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
			t.Fatalf("origin %q: no Vary: Origin", o)
		}
	}
	// A foreign origin on a safe request passes, without the app's grant.
	resp, _ := e.Do(t, "GET", "/", "Origin", "https://evil.example.com")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign GET: %d %v", resp.StatusCode, resp.Header)
	}

	// Preflights.
	resp, _ = e.Do(t, "OPTIONS", "/api/channels", "Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Max-Age") != "300" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = e.Do(t, "OPTIONS", "/api/channels", "Origin", "https://evil.example.com", "Access-Control-Request-Method", "PUT")
	if resp.StatusCode != 403 {
		t.Fatalf("foreign preflight: %d", resp.StatusCode)
	}
	for name := range resp.Header {
		if strings.HasPrefix(name, "Access-Control-Allow-") {
			t.Fatalf("foreign preflight got %s", name)
		}
	}
	if n := hits.Load(); n != 5 {
		t.Fatalf("app saw %d requests, want 5", n)
	}

	evs := modtest.WaitAudit(t, filepath.Join(e.Dir, "audit"), 4, modtest.OfAction(secevent.ActionAccessDenied))
	if len(evs) != 4 {
		t.Fatalf("%d access_denied events, want 4", len(evs))
	}
	if ev := evs[0]; ev.Labels["by"] != "origin" || ev.Labels["rule"] != "socketio" || ev.Labels["origin"] != "https://evil.example.com" ||
		ev.SourceIP != "127.0.0.1" || ev.Path != "/socket.io/" || ev.Reason != "ORIGIN_NOT_ALLOWED" {
		t.Fatalf("event %+v", ev)
	}
}
