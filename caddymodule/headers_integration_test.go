package caddymodule

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// headersSiteCaddyfile serves the app, static files, a refusal of a later
// handler and a dead upstream, all behind ocomms_headers.
var headersSiteCaddyfile = modtest.SiteCaddyfile(`localhost {
	encode gzip
	ocomms_headers
	handle /static/* {
		root * {DIR}/www
		file_server
	}
	handle /limited {
		error "slow down" 429
	}
	handle /down/* {
		reverse_proxy {DOWN}
	}
	handle {
		reverse_proxy {UPSTREAM} {
			flush_interval -1
		}
	}
}
`)

// appUpstream is a small stand-in for the app: statuses, fingerprint
// headers, a redirect, a long poll and an echo of what reached it.
func appUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Powered-By", "Next.js")
		w.Header().Set("X-Nextjs-Cache", "HIT")
		w.Header().Set("Content-Security-Policy", "default-src *")
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "csp=%s\nro=%s\nxff=%s\n", r.Header.Get("Content-Security-Policy"), r.Header.Get("Content-Security-Policy-Report-Only"), r.Header.Get("X-Forwarded-For"))
		case "/missing":
			http.NotFound(w, r)
		case "/boom":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/redirect":
			http.Redirect(w, r, "/login", http.StatusTemporaryRedirect)
		case "/gzip-404", "/br-404":
			// An app that compresses its prerendered not-found page
			// whatever the request asked for.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("X-Nextjs-Prerender", "1")
			w.Header().Set("Cache-Control", "s-maxage=31536000")
			w.Header().Set("Etag", `"e404"`)
			if r.URL.Path == "/br-404" {
				w.Header().Set("Content-Encoding", "br")
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, "\x1b<script src=/a.js></script>")
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusNotFound)
			zw := gzip.NewWriter(w)
			io.WriteString(zw, "<!DOCTYPE html><html><head><script src=\"/_next/static/chunks/a.js\" async=\"\"></script></head>"+
				"<body><h1>not found</h1>"+strings.Repeat("<p>long enough for encode to compress</p>", 40)+
				"<script>self.__next_f.push([1])</script></body></html>")
			zw.Close()
		case "/socket.io/":
			w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			time.Sleep(200 * time.Millisecond)
			io.WriteString(w, "6")
		default:
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>ok</html>")
		}
	})
}

func startHeadersEdge(t *testing.T) *edgetest.Edge {
	t.Helper()
	e := modtest.NewEdge(t)
	e.WriteFile(t, "www/static/app.css", "body{}")
	e.Load(t, headersSiteCaddyfile, "{UPSTREAM}", modtest.Serve(t, appUpstream()),
		"{DOWN}", fmt.Sprintf("127.0.0.1:%d", testsupport.FreePort(t)))
	return e
}

func assertPolicyHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Values("Content-Security-Policy")
	if len(csp) != 1 || !strings.Contains(csp[0], "'strict-dynamic'") || !strings.Contains(csp[0], "'nonce-") {
		t.Errorf("%s: Content-Security-Policy = %q, want exactly the edge's nonce policy", what, csp)
	}
	for name, want := range map[string]string{
		"Strict-Transport-Security":    "max-age=31536000; includeSubDomains",
		"X-Frame-Options":              "DENY",
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "strict-origin-when-cross-origin",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
	} {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
	if h.Get("Permissions-Policy") == "" || h.Get("Reporting-Endpoints") == "" {
		t.Errorf("%s: Permissions-Policy or Reporting-Endpoints missing", what)
	}
	for _, gone := range []string{"Server", "X-Powered-By", "X-Nextjs-Cache"} {
		if v := h.Get(gone); v != "" {
			t.Errorf("%s: %s = %q, want it removed", what, gone, v)
		}
	}
}

func TestHeadersOnEveryResponseThroughCaddy(t *testing.T) {
	e := startHeadersEdge(t)
	etagResp := e.Get(t, "/static/app.css")
	etag := etagResp.Header.Get("Etag")
	for _, tc := range []struct {
		name   string
		path   string
		header []string
		status int
	}{
		{"app page", "/", nil, 200},
		{"app 404", "/missing", nil, 404},
		{"app 500", "/boom", nil, 500},
		{"app redirect", "/redirect", nil, 307},
		{"caddy 502, upstream down", "/down/x", nil, 502},
		{"caddy 429 from a later handler", "/limited", nil, 429},
		{"static file", "/static/app.css", nil, 200},
		// A browser says what it fetches; only requests that may be for a
		// page (whose HTML carries a nonce) lose their validators.
		{"static 304", "/static/app.css", []string{"If-None-Match", etag, "Sec-Fetch-Dest", "style"}, 304},
		{"socket.io long poll", "/socket.io/", nil, 200},
		{"gzip-encoded page", "/", []string{"Accept-Encoding", "gzip"}, 200},
	} {
		resp := e.Get(t, tc.path, tc.header...)
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		assertPolicyHeaders(t, tc.name, resp.Header)
	}
}

// TestCompressedPagesThroughCaddy: HTML an app compresses on its own is
// decoded, given the nonce and compressed again by encode; HTML in an
// encoding the edge cannot decode is refused, never passed on un-nonced.
func TestCompressedPagesThroughCaddy(t *testing.T) {
	e := startHeadersEdge(t)
	nonceRE := regexp.MustCompile(`'nonce-([A-Za-z0-9_-]{22})'`)
	for _, ae := range []string{"gzip", ""} {
		hdr := []string{"Sec-Fetch-Dest", "document"}
		if ae != "" {
			hdr = append(hdr, "Accept-Encoding", ae)
		}
		resp := e.Get(t, "/gzip-404", hdr...)
		var r io.Reader = resp.Body
		if resp.Header.Get("Content-Encoding") != ae {
			t.Fatalf("Accept-Encoding %q: Content-Encoding %q", ae, resp.Header.Get("Content-Encoding"))
		}
		if ae == "gzip" {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		body, _ := io.ReadAll(r)
		m := nonceRE.FindStringSubmatch(resp.Header.Get("Content-Security-Policy"))
		if resp.StatusCode != 404 || m == nil || strings.Count(string(body), `<script nonce="`+m[1]+`"`) != 2 || strings.Count(string(body), "<script") != 2 {
			t.Fatalf("Accept-Encoding %q: %d, CSP nonce %v, body %q", ae, resp.StatusCode, m, body)
		}
		if resp.Header.Get("Etag") != "" || resp.Header.Get("Cache-Control") != "private, no-cache" {
			t.Errorf("Accept-Encoding %q: cacheable nonce page: %v", ae, resp.Header)
		}
		assertPolicyHeaders(t, "decoded page", resp.Header)
	}

	resp := e.Get(t, "/br-404", "Sec-Fetch-Dest", "document")
	var apiErr struct{ Code, Message, Error string }
	edgetest.DecodeJSON(t, resp, &apiErr)
	if resp.StatusCode != http.StatusBadGateway || apiErr.Code != "UPSTREAM_HTML_UNREADABLE" || apiErr.Error == "" {
		t.Fatalf("brotli page: %d %+v, want the 502 refusal", resp.StatusCode, apiErr)
	}
	assertPolicyHeaders(t, "refusal", resp.Header)
}

func TestNonceReachesUpstreamThroughCaddy(t *testing.T) {
	e := startHeadersEdge(t)
	resp := e.Get(t, "/echo", "Content-Security-Policy", "script-src 'nonce-attacker'",
		"Content-Security-Policy-Report-Only", "script-src 'nonce-attacker'")
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`'nonce-([A-Za-z0-9_-]{22})'`)
	upNonce := re.FindStringSubmatch(string(body))
	respNonce := re.FindStringSubmatch(resp.Header.Get("Content-Security-Policy"))
	if upNonce == nil || respNonce == nil || upNonce[1] != respNonce[1] {
		t.Fatalf("upstream saw %q, client got CSP %q: nonces must match", body, resp.Header.Get("Content-Security-Policy"))
	}
	if strings.Contains(string(body), "attacker") {
		t.Fatalf("a client-chosen nonce reached the upstream: %s", body)
	}
	second := e.Get(t, "/echo")
	if n := re.FindStringSubmatch(second.Header.Get("Content-Security-Policy")); n == nil || n[1] == respNonce[1] {
		t.Fatal("two requests got the same nonce")
	}
}

func TestCSPReportEndpointThroughCaddy(t *testing.T) {
	e := startHeadersEdge(t)
	body := `{"csp-report":{"document-uri":"https://localhost/","effective-directive":"script-src-elem","blocked-uri":"inline"}}`
	resp, err := e.Client.Do(modtest.NewRequest(t, http.MethodPost, e.URL("/csp-report"), "application/csp-report", strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("report: status %d, want 204", resp.StatusCode)
	}
	resp, err = e.Client.Do(modtest.NewRequest(t, http.MethodPost, e.URL("/csp-report"), "application/csp-report", strings.NewReader(strings.Repeat("x", 70<<10))))
	if err != nil {
		t.Fatal(err)
	}
	var apiErr struct{ Code, Message, Error string }
	edgetest.DecodeJSON(t, resp, &apiErr)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || apiErr.Message == "" || apiErr.Error == "" {
		t.Fatalf("oversized report: %d %+v", resp.StatusCode, apiErr)
	}
}

func TestBadPoliciesAreRefusedAtProvision(t *testing.T) {
	var cases []modtest.RefusedConfig
	for _, tc := range []struct{ block, want string }{
		{"csp scirpt-src 'self'", `unknown CSP directive "scirpt-src"`},
		{"csp script-src 'self' 'strict-dynamic'", "'strict-dynamic' needs a nonce"},
		{`hsts "max-age=31536000; preload"`, "preload requires includeSubDomains"},
		{`hsts "max-age=600; includeSubDomains; preload"`, "at least 31536000"},
		{"report_path off\n\t\tcsp report-to csp-endpoint", "no such reporting endpoint"},
		{"preset strict", `unknown headers preset "strict"`},
		{"frobnicate 1", `unrecognized ocomms_headers subdirective "frobnicate"`},
		{"set Content-Security-Policy x", "configure it with csp"},
	} {
		site := "localhost {\n\tocomms_headers {\n\t\t" + tc.block + "\n\t}\n\trespond ok\n}\n"
		cases = append(cases, modtest.RefusedConfig{Name: fmt.Sprintf("%q", tc.block), Caddyfile: modtest.EdgeCaddyfile(site, modtest.AdminOff, modtest.FileStorage), Want: tc.want})
	}
	modtest.CheckRefused(t, modtest.NewEdge(t), cases)
}
