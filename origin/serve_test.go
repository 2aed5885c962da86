package origin

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// app is the upstream: it counts requests and sets the CORS headers a
// careless app might.
type app struct {
	n       int
	cors    string
	written http.Header
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	a.n++
	if a.cors != "" {
		w.Header().Set("Access-Control-Allow-Origin", a.cors)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Access-Control-Allow-Methods", "*")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("app"))
	return nil
}

func newPolicy(t testing.TB, cfg Config) (*Policy, *testsupport.Events, *[]string) {
	t.Helper()
	rec := testsupport.NewEvents()
	var kinds []string
	cfg.ClientIP = func(*http.Request) netip.Addr { return netip.MustParseAddr("203.0.113.4") }
	cfg.Events = rec
	cfg.OnRefuse = func(k string) { kinds = append(kinds, k) }
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, rec, &kinds
}

// req makes a request to https://chat.example.com (TLS as the server
// sees it) with header pairs.
func req(method, target string, header ...string) *http.Request {
	r := httptest.NewRequest(method, "https://chat.example.com"+target, nil)
	r.TLS = &tls.ConnectionState{}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func TestJudge(t *testing.T) {
	p, _, _ := newPolicy(t, Config{Allowed: []string{"https://app.example.com, tauri://localhost", "https://bücher.example"}})
	for _, tc := range []struct {
		origins []string
		host    string
		want    Verdict
	}{
		{nil, "", None},
		{[]string{"https://chat.example.com"}, "", Same},
		{[]string{"https://CHAT.example.com:443"}, "", Same},
		{[]string{"https://chat.example.com"}, "chat.example.com:443", Same},
		{[]string{"https://chat.example.com:8443"}, "chat.example.com:8443", Same},
		{[]string{"https://chat.example.com:8443"}, "", Foreign},
		{[]string{"http://chat.example.com"}, "", Foreign},
		{[]string{"https://evil.chat.example.com"}, "", Foreign},
		{[]string{"https://chat.example.com.evil.net"}, "", Foreign},
		{[]string{"https://app.example.com"}, "", Listed},
		{[]string{"https://app.example.com:443"}, "", Listed},
		{[]string{"https://xn--bcher-kva.example"}, "", Listed},
		{[]string{"tauri://localhost"}, "", Listed},
		{[]string{"null"}, "", Foreign},
		{[]string{""}, "", Foreign},
		{[]string{"https://chat.example.com/"}, "", Foreign},
		{[]string{"https://chat.example.com", "https://evil.net"}, "", Foreign},
	} {
		r := req("GET", "/")
		if tc.host != "" {
			r.Host = tc.host
		}
		for _, o := range tc.origins {
			r.Header.Add("Origin", o)
		}
		if got, _ := p.Judge(r); got != tc.want {
			t.Errorf("Origin %q, Host %s: %v, want %v", tc.origins, r.Host, got, tc.want)
		}
	}
	// Plain HTTP: the site's own origin is http://.
	r := httptest.NewRequest("GET", "http://localhost:8080/", nil)
	r.Header.Set("Origin", "http://localhost:8080")
	if got, _ := p.Judge(r); got != Same {
		t.Errorf("plain http same origin: %v", got)
	}
}

func decode(t *testing.T, w *httptest.ResponseRecorder) (code string) {
	t.Helper()
	var b struct{ Code, Message, Error string }
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Message == "" || b.Error != b.Message {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return b.Code
}

func TestSocketIO(t *testing.T) {
	for _, tc := range []struct {
		name    string
		require bool
		header  []string
		code    string
	}{
		{"websocket from a foreign origin", false, []string{"Origin", "https://evil.example.com", "Upgrade", "websocket", "Connection", "Upgrade"}, CodeNotAllowed},
		{"polling from a same-site origin", false, []string{"Origin", "https://other.example.com"}, CodeNotAllowed},
		{"polling from null", false, []string{"Origin", "null"}, CodeNotAllowed},
		{"same origin", false, []string{"Origin", "https://chat.example.com"}, ""},
		{"no origin, allowed by default", false, nil, ""},
		{"no origin, required", true, nil, CodeRequired},
		{"listed origin", true, []string{"Origin", "https://app.example.com"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, rec, kinds := newPolicy(t, Config{Allowed: []string{"https://app.example.com"}, SocketIORequireOrigin: tc.require})
			up := &app{}
			w := httptest.NewRecorder()
			_ = p.Serve(w, req("GET", "/socket.io/?EIO=4&transport=websocket", tc.header...), up)
			if tc.code == "" {
				if w.Code != 200 || up.n != 1 || len(rec.All()) != 0 {
					t.Fatalf("status %d, forwarded %d, events %d", w.Code, up.n, len(rec.All()))
				}
				return
			}
			if w.Code != 403 || up.n != 0 || decode(t, w) != tc.code {
				t.Fatalf("status %d, forwarded %d, body %s", w.Code, up.n, w.Body)
			}
			if len(rec.All()) != 1 || len(*kinds) != 1 || (*kinds)[0] != KindSocketIO {
				t.Fatalf("events %+v kinds %v", rec.All(), *kinds)
			}
			e := rec.All()[0]
			if e.Action != secevent.ActionAccessDenied || e.SourceIP != "203.0.113.4" || e.Path != "/socket.io/" ||
				e.Labels["rule"] != KindSocketIO || e.Labels["by"] != "origin" || e.Reason != tc.code {
				t.Fatalf("event %+v", e)
			}
			if tc.header != nil && e.Labels["origin"] != tc.header[1] {
				t.Fatalf("origin label %q", e.Labels["origin"])
			}
		})
	}
}

func TestSocketIOPathSpellings(t *testing.T) {
	p, _, _ := newPolicy(t, Config{})
	for _, path := range []string{"/socket.io/", "/socket.io", "/Socket.IO/", "//socket.io/", "/x/../socket.io/"} {
		up := &app{}
		w := httptest.NewRecorder()
		r := req("GET", "/", "Origin", "https://evil.example.com")
		r.URL.Path = path
		_ = p.Serve(w, r, up)
		if w.Code != 403 {
			t.Errorf("%s: status %d", path, w.Code)
		}
	}
}

func TestUnsafeMethods(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		header       []string
		code         string
	}{
		{"POST with cookies from a foreign origin", "POST", []string{"Cookie", "s=1", "Origin", "https://evil.example.com"}, CodeNotAllowed},
		{"DELETE with cookies from null", "DELETE", []string{"Cookie", "s=1", "Origin", "null"}, CodeNotAllowed},
		{"PUT with cookies, no Origin, cross-site", "PUT", []string{"Cookie", "s=1", "Sec-Fetch-Site", "cross-site"}, CodeCrossSite},
		{"PATCH with cookies, no Origin, same-site", "PATCH", []string{"Cookie", "s=1", "Sec-Fetch-Site", "same-site"}, ""},
		{"POST with cookies, same origin", "POST", []string{"Cookie", "s=1", "Origin", "https://chat.example.com"}, ""},
		{"POST with cookies, listed origin", "POST", []string{"Cookie", "s=1", "Origin", "https://app.example.com"}, ""},
		{"POST without cookies from a foreign origin", "POST", []string{"Origin", "https://evil.example.com"}, ""},
		{"GET with cookies from a foreign origin", "GET", []string{"Cookie", "s=1", "Origin", "https://evil.example.com"}, ""},
		{"POST with cookies, no Origin (curl, native)", "POST", []string{"Cookie", "s=1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, rec, kinds := newPolicy(t, Config{Allowed: []string{"https://app.example.com"}})
			up := &app{}
			w := httptest.NewRecorder()
			_ = p.Serve(w, req(tc.method, "/api/channels/1/pins", tc.header...), up)
			if tc.code == "" {
				if up.n != 1 || len(rec.All()) != 0 {
					t.Fatalf("status %d forwarded %d events %d", w.Code, up.n, len(rec.All()))
				}
				return
			}
			if w.Code != 403 || up.n != 0 || decode(t, w) != tc.code || len(rec.All()) != 1 || (*kinds)[0] != KindUnsafe {
				t.Fatalf("status %d forwarded %d events %+v", w.Code, up.n, rec.All())
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	p, rec, kinds := newPolicy(t, Config{Allowed: []string{"https://app.example.com"}, MaxAge: 5 * time.Minute})
	up := &app{}
	w := httptest.NewRecorder()
	_ = p.Serve(w, req("OPTIONS", "/api/channels", "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type"), up)
	h := w.Header()
	if w.Code != 204 || up.n != 0 || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Max-Age") != "300" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(h.Get("Vary"), "Origin") {
		t.Fatalf("allowed preflight: %d %v (forwarded %d)", w.Code, h, up.n)
	}
	w = httptest.NewRecorder()
	_ = p.Serve(w, req("OPTIONS", "/api/channels", "Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST"), up)
	if w.Code != 403 || up.n != 0 || len(rec.All()) != 1 || (*kinds)[0] != KindPreflight {
		t.Fatalf("foreign preflight: %d, events %d", w.Code, len(rec.All()))
	}
	for name := range w.Header() {
		if strings.HasPrefix(name, "Access-Control-Allow-") {
			t.Fatalf("foreign preflight got %s", name)
		}
	}
	// OPTIONS that is no preflight goes to the app.
	w = httptest.NewRecorder()
	_ = p.Serve(w, req("OPTIONS", "/api/channels"), up)
	if up.n != 1 {
		t.Fatal("plain OPTIONS not forwarded")
	}
	// No credentials: never "true", origin still exact.
	p2, _, _ := newPolicy(t, Config{Allowed: []string{"https://app.example.com"}, NoCredentials: true})
	w = httptest.NewRecorder()
	_ = p2.Serve(w, req("OPTIONS", "/x", "Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT"), up)
	if w.Header().Get("Access-Control-Allow-Credentials") != "" || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("no credentials: %v", w.Header())
	}
}

func TestResponseHeaderFiltering(t *testing.T) {
	p, _, _ := newPolicy(t, Config{Allowed: []string{"https://app.example.com"}})
	for _, tc := range []struct {
		name, origin, appCORS, wantACAO string
	}{
		{"app grants a foreign origin", "https://evil.example.com", "https://evil.example.com", ""},
		{"app grants *", "https://evil.example.com", "*", ""},
		{"app grants * without Origin", "", "*", ""},
		{"listed origin: the edge grants exactly", "https://app.example.com", "*", "https://app.example.com"},
		{"listed origin, app silent", "https://app.example.com", "", "https://app.example.com"},
		{"same origin: nothing to grant", "https://chat.example.com", "https://chat.example.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := &app{cors: tc.appCORS}
			w := httptest.NewRecorder()
			var h []string
			if tc.origin != "" {
				h = []string{"Origin", tc.origin}
			}
			_ = p.Serve(w, req("GET", "/api/x", h...), up)
			if w.Code != 200 || w.Body.String() != "app" {
				t.Fatalf("status %d body %q", w.Code, w.Body)
			}
			got := w.Header().Get("Access-Control-Allow-Origin")
			if got != tc.wantACAO {
				t.Fatalf("ACAO %q, want %q", got, tc.wantACAO)
			}
			if tc.wantACAO == "" {
				for name := range w.Header() {
					if strings.HasPrefix(name, "Access-Control-Allow-") {
						t.Fatalf("%s left on the response", name)
					}
				}
			} else if w.Header().Get("Access-Control-Allow-Credentials") != "true" || w.Header().Get("Access-Control-Allow-Methods") != "*" && tc.appCORS != "" {
				t.Fatalf("headers %v", w.Header())
			}
			if !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Origin") {
				t.Fatalf("no Vary: Origin: %v", w.Header())
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	ip := func(*http.Request) netip.Addr { return netip.Addr{} }
	for _, cfg := range []Config{
		{Allowed: []string{"*"}},
		{Allowed: []string{"https://a.example.com,null"}},
		{Allowed: []string{"https://*.example.com"}},
		{MaxAge: 3 * time.Hour},
		{AllowHeaders: []string{"*"}},
		{AllowMethods: []string{"GE T"}},
		{SocketIOPath: "socket.io"},
	} {
		cfg.ClientIP = ip
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	if _, err := New(Config{}); err == nil {
		t.Error("no ClientIP accepted")
	}
}

func TestWriterPassesFlushAndUnwrap(t *testing.T) {
	p, _, _ := newPolicy(t, Config{})
	rec := httptest.NewRecorder()
	next := nextFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		if _, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok {
			t.Error("no Unwrap")
		}
		return nil
	})
	_ = p.Serve(rec, req("GET", "/socket.io/?transport=polling"), next)
	if !rec.Flushed || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("flushed %v, headers %v", rec.Flushed, rec.Header())
	}
}

// TestWriterReadFrom: a body copied with ReadFrom gets its headers
// settled first and arrives whole.
func TestWriterReadFrom(t *testing.T) {
	p, _, _ := newPolicy(t, Config{})
	rec := httptest.NewRecorder()
	next := nextFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		n, err := w.(io.ReaderFrom).ReadFrom(strings.NewReader("streamed body"))
		if err != nil || n != 13 {
			t.Errorf("ReadFrom %d %v", n, err)
		}
		return nil
	})
	_ = p.Serve(rec, req("GET", "/file"), next)
	if rec.Body.String() != "streamed body" || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("body %q, headers %v", rec.Body, rec.Header())
	}
}

type nextFunc func(http.ResponseWriter, *http.Request) error

func (f nextFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) error { return f(w, r) }

func BenchmarkServeSameOrigin(b *testing.B) {
	benchmarkServe(b, req("POST", "/api/x", "Origin", "https://chat.example.com", "Cookie", "s=1"))
}

func BenchmarkServeNoOrigin(b *testing.B) {
	benchmarkServe(b, req("GET", "/channels"))
}

// benchmarkServe runs r, over and over, through the default policy to a
// next handler that does nothing.
func benchmarkServe(b *testing.B, r *http.Request) {
	p, _, _ := newPolicy(b, Config{})
	w := httptest.NewRecorder()
	next := nextFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Serve(w, r, next)
	}
}

// A forwarded request costs the policy no allocation: the header filter is
// recycled, and a recycled one carries nothing of the request before.
func TestServeForwardAllocatesNothing(t *testing.T) {
	p, _, _ := newPolicy(t, Config{})
	w := httptest.NewRecorder()
	var seen *filterWriter
	next := nextFunc(func(fw http.ResponseWriter, _ *http.Request) error {
		f := fw.(*filterWriter)
		if f.origin != "" || f.done {
			t.Errorf("a recycled filter kept origin %q, done %v", f.origin, f.done)
		}
		seen = f
		return nil
	})
	for _, r := range []*http.Request{req("GET", "/channels"), req("POST", "/api/x", "Origin", "https://chat.example.com", "Cookie", "s=1")} {
		if allocs := testing.AllocsPerRun(100, func() { _ = p.Serve(w, r, next) }); allocs != 0 {
			t.Errorf("%s %s: %.0f allocations per request", r.Method, r.URL.Path, allocs)
		}
	}
	if seen == nil {
		t.Fatal("next never ran")
	}
}
