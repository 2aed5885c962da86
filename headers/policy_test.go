package headers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

var nonceInCSP = regexp.MustCompile(`'nonce-([A-Za-z0-9_-]+)'`)

func TestBeginHandsNonceToUpstreamAndReplacesClientCSP(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	r := newRequest(t, "GET", "https://chat.example:8443/")
	r.Header.Set("Content-Security-Policy", "script-src 'nonce-attacker'")
	r.Header.Set("Content-Security-Policy-Report-Only", "script-src 'nonce-attacker2'")
	w := newRecorder()
	rw := p.Begin(w, r)

	reqCSP := r.Header.Values("Content-Security-Policy")
	if len(reqCSP) != 1 || reqCSP[0] != "script-src 'nonce-"+rw.Nonce()+"'" {
		t.Fatalf("request CSP = %q, want exactly script-src with nonce %q", reqCSP, rw.Nonce())
	}
	if v := r.Header.Get("Content-Security-Policy-Report-Only"); v != "" {
		t.Fatalf("client report-only CSP reached upstream: %q", v)
	}
	resp := w.Header().Get("Content-Security-Policy")
	if m := nonceInCSP.FindStringSubmatch(resp); m == nil || m[1] != rw.Nonce() {
		t.Fatalf("response CSP %q does not carry nonce %q", resp, rw.Nonce())
	}
	if !strings.Contains(resp, "connect-src 'self' wss://chat.example:8443") {
		t.Errorf("CSP lacks the site's wss origin: %q", resp)
	}
	if got := w.Header().Get("Reporting-Endpoints"); got != `csp-endpoint="https://chat.example:8443/csp-report"` {
		t.Errorf("Reporting-Endpoints = %q", got)
	}
	if got := w.Header().Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("HSTS = %q", got)
	}
}

func TestHSTSOnlyOverHTTPS(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	w := newRecorder()
	p.Begin(w, newRequest(t, "GET", "http://chat.example/"))
	if got := w.Header().Get("Strict-Transport-Security"); got != "" {
		t.Fatalf("HSTS sent over plain HTTP: %q", got)
	}
}

func TestForgedHostDoesNotInjectIntoPolicy(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	r := newRequest(t, "GET", "https://chat.example/")
	r.Host = "evil.example; script-src *"
	w := newRecorder()
	p.Begin(w, r)
	csp := w.Header().Get("Content-Security-Policy")
	if strings.Contains(csp, "evil") || strings.Contains(csp, "script-src *") {
		t.Fatalf("forged Host reached the policy: %q", csp)
	}
	if got := w.Header().Get("Reporting-Endpoints"); got != "" {
		t.Fatalf("Reporting-Endpoints with a forged host: %q", got)
	}
}

// upstream writes what an app behind the edge might write.
func upstream(status int, hdr map[string][]string, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range hdr {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func TestPolicyOnEveryStatusAndOverUpstreamHeaders(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	for _, status := range []int{200, 204, 301, 304, 404, 429, 500, 502, 504} {
		h := p.Middleware(upstream(status, map[string][]string{
			"Content-Security-Policy":   {"default-src *"},
			"X-Frame-Options":           {"ALLOWALL"},
			"Server":                    {"nginx"},
			"X-Powered-By":              {"Next.js"},
			"X-Nextjs-Cache":            {"HIT"},
			"X-Nextjs-Matched-Path":     {"/x"},
			"Strict-Transport-Security": {"max-age=0"},
		}, ""))
		w := newRecorder()
		h.ServeHTTP(w, newRequest(t, "GET", "https://chat.example/"))
		res := w.Result()
		if res.StatusCode != status {
			t.Fatalf("status %d became %d", status, res.StatusCode)
		}
		if v := res.Header.Values("Content-Security-Policy"); len(v) != 1 || !strings.Contains(v[0], "'strict-dynamic'") {
			t.Errorf("%d: CSP = %q, want exactly ours", status, v)
		}
		if v := res.Header.Values("X-Frame-Options"); len(v) != 1 || v[0] != "DENY" {
			t.Errorf("%d: X-Frame-Options = %q", status, v)
		}
		if v := res.Header.Values("Strict-Transport-Security"); len(v) != 1 || v[0] != "max-age=31536000; includeSubDomains" {
			t.Errorf("%d: HSTS = %q", status, v)
		}
		for _, gone := range []string{"Server", "X-Powered-By", "X-Nextjs-Cache", "X-Nextjs-Matched-Path"} {
			if v := res.Header.Get(gone); v != "" {
				t.Errorf("%d: %s = %q, want removed", status, gone, v)
			}
		}
		for _, name := range []string{"X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy"} {
			if res.Header.Get(name) == "" {
				t.Errorf("%d: %s missing", status, name)
			}
		}
	}
}

func TestHeadersSetBeforeNextRuns(t *testing.T) {
	// A handler that fails after the policy writes nothing itself; the
	// server then writes the error status on the same header map.
	p := mustBuild(t, mustPreset(t, "ocomms"))
	w := newRecorder()
	p.Begin(w, newRequest(t, "GET", "https://chat.example/"))
	w.WriteHeader(http.StatusBadGateway) // as Caddy does for an upstream error
	if w.Header().Get("Content-Security-Policy") == "" || w.Header().Get("Strict-Transport-Security") == "" {
		t.Fatalf("error response lacks policy headers: %v", w.Header())
	}
}

func TestReportOnlyMode(t *testing.T) {
	o := mustPreset(t, "ocomms")
	o.CSPReportOnly = true
	p := mustBuild(t, o)
	w := newRecorder()
	r := newRequest(t, "GET", "https://chat.example/")
	p.Begin(w, r)
	if w.Header().Get("Content-Security-Policy") != "" {
		t.Fatal("report-only mode sent an enforced policy")
	}
	if !strings.Contains(w.Header().Get("Content-Security-Policy-Report-Only"), "'nonce-") {
		t.Fatal("report-only policy missing")
	}
	if !strings.Contains(r.Header.Get("Content-Security-Policy-Report-Only"), "'nonce-") {
		t.Fatal("report-only policy not handed to upstream, where Next.js falls back to it")
	}
}

func TestPolicyWithoutNonceMakesNone(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "helmet"))
	r := newRequest(t, "GET", "https://chat.example/")
	r.Header.Set("Content-Security-Policy", "script-src 'nonce-attacker'")
	w := newRecorder()
	rw := p.Begin(w, r)
	if rw.Nonce() != "" {
		t.Fatalf("helmet preset has no nonce source, got nonce %q", rw.Nonce())
	}
	if w.Header().Get("Content-Security-Policy") == "" {
		t.Fatal("helmet preset sent no CSP")
	}
	// No nonce, nothing to hand upstream; the client's header is gone.
	if v, ok := r.Header["Content-Security-Policy"]; ok {
		t.Fatalf("request CSP %q reached upstream without a nonce to hand", v)
	}
}

func TestInjectionOnlyForPrerenderedHTML(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	page := `<html><head><script>go()</script></head></html>`
	for _, tc := range []struct {
		name   string
		hdr    map[string][]string
		inject bool
	}{
		{"prerendered html", map[string][]string{"Content-Type": {"text/html; charset=utf-8"}, "X-Nextjs-Prerender": {"1"}, "Content-Length": {"48"}, "Etag": {`"abc"`}}, true},
		{"dynamic html", map[string][]string{"Content-Type": {"text/html"}}, false},
		{"prerendered json", map[string][]string{"Content-Type": {"application/json"}, "X-Nextjs-Prerender": {"1"}}, false},
	} {
		w := newRecorder()
		r := newRequest(t, "GET", "https://chat.example/login")
		r.Header.Set("Accept-Encoding", "gzip")
		r.Header.Set("Sec-Fetch-Dest", "document")
		var rw *ResponseWriter
		p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw = w.(*ResponseWriter)
			upstream(200, tc.hdr, page).ServeHTTP(w, r)
		})).ServeHTTP(w, r)
		if r.Header.Get("Accept-Encoding") != "" {
			t.Errorf("%s: document request kept Accept-Encoding, the upstream could compress", tc.name)
		}
		body := w.Body.String()
		injected := strings.Contains(body, `<script nonce="`+rw.Nonce()+`">`)
		if injected != tc.inject {
			t.Errorf("%s: injected=%v, want %v; body %q", tc.name, injected, tc.inject, body)
		}
		if tc.inject {
			for _, gone := range []string{"Content-Length", "Etag", "X-Nextjs-Prerender"} {
				if w.Header().Get(gone) != "" {
					t.Errorf("%s: %s kept on a rewritten body", tc.name, gone)
				}
			}
			if w.Header().Get("Cache-Control") != "private, no-cache" {
				t.Errorf("%s: Cache-Control = %q", tc.name, w.Header().Get("Cache-Control"))
			}
		}
	}
	if got := p.Stats(); got.Injected != 1 || got.InjectRefused != 0 {
		t.Fatalf("stats = %+v, want 1 injected and none refused", got)
	}
}

func TestNonDocumentRequestsKeepAcceptEncoding(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	r := newRequest(t, "GET", "https://chat.example/_next/static/chunks/app.js")
	r.Header.Set("Accept-Encoding", "gzip")
	r.Header.Set("Sec-Fetch-Dest", "script")
	p.Begin(newRecorder(), r)
	if r.Header.Get("Accept-Encoding") != "gzip" {
		t.Fatal("Accept-Encoding removed from a script request")
	}
}

func TestCookieHardening(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a=1; Path=/; HttpOnly", "a=1; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{"a=1; Secure; SameSite=Strict", "a=1; Secure; SameSite=Strict"},
		{"a=1; samesite=none; secure", "a=1; samesite=none; secure"},
		{"securecookie=1", "securecookie=1; Secure; SameSite=Lax"},
	} {
		if got := hardenCookie(tc.in, true); got != tc.want {
			t.Errorf("hardenCookie(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := hardenCookie("a=1", false); got != "a=1; SameSite=Lax" {
		t.Errorf("over HTTP Secure must not be added: %q", got)
	}
}

func TestResponseWriterSupportsFlushAndUnwrap(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	srv := httptest.NewServer(p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the policy writer: %v", err)
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack through the policy writer: %v", err)
			return
		}
		conn.Close()
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
	}
}

// countingWriter records the size of each write that reaches the client.
type countingWriter struct {
	testsupport.DiscardWriter
	writes  []int
	flushes int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.writes = append(c.writes, len(b))
	return len(b), nil
}
func (c *countingWriter) Flush() { c.flushes++ }

func TestInjectedBodyIsHeldBackUntilLongEnoughToCompress(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	cw := &countingWriter{DiscardWriter: testsupport.DiscardWriter{H: http.Header{}}}
	rw := p.Begin(cw, newRequest(t, "GET", "https://chat.example/login"))
	cw.H.Set("Content-Type", "text/html")
	cw.H.Set("X-Nextjs-Prerender", "1")
	rw.WriteHeader(200)
	rw.Write([]byte("<html><head><scr"))
	rw.Flush()
	if len(cw.writes) != 0 || cw.flushes != 0 {
		t.Fatalf("a short first chunk was written (%v) or flushed (%d) before %d bytes", cw.writes, cw.flushes, holdbackSize)
	}
	rw.Write([]byte(strings.Repeat("x", holdbackSize)))
	if len(cw.writes) != 1 || cw.writes[0] < holdbackSize {
		t.Fatalf("writes after the threshold = %v, want one of at least %d bytes", cw.writes, holdbackSize)
	}
	rw.Write([]byte("tail"))
	rw.Flush()
	if len(cw.writes) != 2 || cw.flushes != 1 {
		t.Fatalf("after the threshold writes and flushes must pass through: %v, %d", cw.writes, cw.flushes)
	}

	short := &countingWriter{DiscardWriter: testsupport.DiscardWriter{H: http.Header{}}}
	rw = p.Begin(short, newRequest(t, "GET", "https://chat.example/login"))
	short.H.Set("Content-Type", "text/html")
	short.H.Set("X-Nextjs-Prerender", "1")
	rw.Write([]byte("<p>tiny</p>"))
	if err := rw.Close(); err != nil || len(short.writes) != 1 || short.writes[0] != len("<p>tiny</p>") {
		t.Fatalf("Close must release a short body: %v %v", short.writes, err)
	}
}
