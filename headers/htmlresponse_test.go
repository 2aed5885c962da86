package headers

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// nextPage is a trimmed copy of what Next.js 16 prerenders for not-found:
// external chunks, a noModule polyfill and inline flight-data scripts, none
// with a nonce.
const nextPage = `<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>` +
	`<link rel="preload" as="script" fetchPriority="low" href="/_next/static/chunks/a.js"/>` +
	`<script src="/_next/static/chunks/a.js" async=""></script>` +
	`<script src="/_next/static/chunks/b.js" noModule=""></script>` +
	`<title>404</title></head><body><h1>not found</h1>` +
	`<script>(self.__next_f=self.__next_f||[]).push([0])</script>` +
	`<script>self.__next_f.push([1,"<script>no</script>"])</script></body></html>`

var scriptTagRE = regexp.MustCompile(`(?i)<script\b[^>]*>`)

// checkAllScriptsNonced fails unless every <script> start tag outside
// script text carries the nonce first.
func checkAllScriptsNonced(t *testing.T, what, body, nonce string) {
	t.Helper()
	want := `nonce="` + nonce + `"`
	// The one "<script>" inside script text is JavaScript, not a tag.
	tags := scriptTagRE.FindAllString(strings.ReplaceAll(body, `"<script>no</script>"`, ""), -1)
	if len(tags) == 0 {
		t.Fatalf("%s: no script tags in %q", what, body)
	}
	for _, tag := range tags {
		if !strings.Contains(tag, want) {
			t.Errorf("%s: script without this response's nonce: %s", what, tag)
		}
	}
}

// serveNonce sends one request through the policy to an upstream that
// answers status, hdr and body, and returns the recorded response and the
// nonce of the request.
func serveNonce(t *testing.T, p *Policy, r *http.Request, status int, hdr map[string]string, body []byte) (*httptest.ResponseRecorder, string) {
	t.Helper()
	w := newRecorder()
	var nonce string
	p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nonce = w.(*ResponseWriter).Nonce()
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		// Several writes, as a proxied body arrives.
		for len(body) > 0 {
			n := min(len(body), 97)
			w.Write(body[:n])
			body = body[n:]
		}
	})).ServeHTTP(w, r)
	return w, nonce
}

func prerendered(extra ...string) map[string]string {
	h := map[string]string{
		"Content-Type":       "text/html; charset=utf-8",
		"X-Nextjs-Prerender": "1",
		"Cache-Control":      "s-maxage=31536000",
		"Etag":               `"8tm3gaejs2538"`,
		"Last-Modified":      "Mon, 07 Dec 2026 12:00:00 GMT",
		"Content-Length":     "999",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func checkPrivate(t *testing.T, what string, h http.Header) {
	t.Helper()
	for _, gone := range []string{"Etag", "Last-Modified", "Content-Length"} {
		if h.Get(gone) != "" {
			t.Errorf("%s: %s = %q kept on a page carrying this request's nonce", what, gone, h.Get(gone))
		}
	}
	if cc := h.Get("Cache-Control"); cc != "private, no-cache" {
		t.Errorf("%s: Cache-Control = %q, want private, no-cache", what, cc)
	}
}

// TestPrerenderedHTMLGetsTheNonceWhateverItsStatus is the regression of
// issue 13: Next.js serves its prerendered not-found page with 404, which
// the injector used to pass through with no nonce on its scripts.
func TestPrerenderedHTMLGetsTheNonceWhateverItsStatus(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	for _, status := range []int{200, 201, 203, 301, 302, 307, 400, 403, 404, 410, 500, 503} {
		r := newRequest(t, "GET", "https://chat.example/nope")
		w, nonce := serveNonce(t, p, r, status, prerendered(), []byte(nextPage))
		what := http.StatusText(status)
		if w.Code != status {
			t.Fatalf("%s: status became %d", what, w.Code)
		}
		checkAllScriptsNonced(t, what, w.Body.String(), nonce)
		checkPrivate(t, what, w.Header())
		if got := strings.ReplaceAll(w.Body.String(), ` nonce="`+nonce+`"`, ""); got != nextPage {
			t.Errorf("%s: body changed other than by the nonce:\n%s", what, got)
		}
	}
}

func TestNoBodyStatusesAreLeftAlone(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	for _, status := range []int{204, 304} {
		w, _ := serveNonce(t, p, newRequest(t, "GET", "https://chat.example/"), status, prerendered(), nil)
		if w.Code != status || w.Body.Len() != 0 {
			t.Errorf("%d: became %d with %d body bytes", status, w.Code, w.Body.Len())
		}
	}
	if st := p.Stats(); st.Injected != 0 {
		t.Errorf("injected into a response without a body: %+v", st)
	}
}

// TestDynamicHTMLIsPrivateButNotRewritten: a dynamically rendered page
// already carries the nonce (Next.js stamped it); in the prerendered mode
// the edge does not stamp it again, as stamping would also bless a script
// an HTML injection slipped into the page. It still may not be cached.
func TestDynamicHTMLIsPrivateButNotRewritten(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	page := `<html><script nonce="X">a()</script><script>evil()</script></html>`
	for _, tc := range []struct{ cc, wantCC string }{
		{"s-maxage=60, stale-while-revalidate=31535940", "private, no-cache"},
		{"public, max-age=600", "private, no-cache"},
		{"", "private, no-cache"},
		{"private, no-cache, no-store, max-age=0, must-revalidate", "private, no-cache, no-store, max-age=0, must-revalidate"},
	} {
		hdr := map[string]string{"Content-Type": "text/html", "Etag": `"x"`, "Cdn-Cache-Control": "max-age=60", "Surrogate-Control": "max-age=60"}
		if tc.cc != "" {
			hdr["Cache-Control"] = tc.cc
		}
		w, _ := serveNonce(t, p, newRequest(t, "GET", "https://chat.example/"), 500, hdr, []byte(page))
		if w.Body.String() != page {
			t.Errorf("dynamic page rewritten: %s", w.Body)
		}
		if got := w.Header().Get("Cache-Control"); got != tc.wantCC {
			t.Errorf("Cache-Control %q became %q, want %q", tc.cc, got, tc.wantCC)
		}
		for _, gone := range []string{"Etag", "Cdn-Cache-Control", "Surrogate-Control"} {
			if w.Header().Get(gone) != "" {
				t.Errorf("%s kept on a nonce page", gone)
			}
		}
	}
}

func TestNonHTMLKeepsItsCaching(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	hdr := map[string]string{"Content-Type": "text/x-component", "Cache-Control": "public, max-age=31536000, immutable", "Etag": `"e"`}
	w, _ := serveNonce(t, p, newRequest(t, "GET", "https://chat.example/_next/static/a.js"), 200, hdr, []byte("<script>"))
	if w.Header().Get("Etag") != `"e"` || w.Header().Get("Cache-Control") != hdr["Cache-Control"] || w.Body.String() != "<script>" {
		t.Fatalf("non-HTML response changed: %v %q", w.Header(), w.Body)
	}
}

func compress(t testing.TB, enc string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var zw io.WriteCloser
	switch enc {
	case "gzip", "x-gzip":
		zw = gzip.NewWriter(&buf)
	case "deflate":
		zw = zlib.NewWriter(&buf)
	case "raw-deflate":
		zw, _ = flate.NewWriter(&buf, flate.BestSpeed)
	default:
		t.Fatalf("no encoder for %s", enc)
	}
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestCompressedHTMLIsDecodedAndInjected: an app that compresses its HTML
// itself (or a request that did not look like one for a document) still
// yields a page whose scripts carry the nonce.
func TestCompressedHTMLIsDecodedAndInjected(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	big := nextPage + strings.Repeat(`<p>filler</p><script>x()</script>`, 2000)
	for _, tc := range []struct{ header, encoder, page string }{
		{"gzip", "gzip", nextPage},
		{"GZIP", "gzip", big},
		{"x-gzip", "gzip", nextPage},
		{"deflate", "deflate", nextPage},
		{"deflate", "raw-deflate", big},
	} {
		what := tc.header + "/" + tc.encoder
		body := compress(t, tc.encoder, []byte(tc.page))
		w, nonce := serveNonce(t, p, newRequest(t, "GET", "https://chat.example/nope"), 404, prerendered("Content-Encoding", tc.header), body)
		if w.Code != 404 {
			t.Fatalf("%s: status %d: %s", what, w.Code, w.Body)
		}
		if ce := w.Header().Get("Content-Encoding"); ce != "" {
			t.Errorf("%s: Content-Encoding %q kept on a decoded body", what, ce)
		}
		checkAllScriptsNonced(t, what, w.Body.String(), nonce)
		checkPrivate(t, what, w.Header())
		if got := strings.ReplaceAll(w.Body.String(), ` nonce="`+nonce+`"`, ""); got != tc.page {
			t.Errorf("%s: decoded body differs from the page", what)
		}
	}
	if st := p.Stats(); st.Injected != 5 || st.InjectRefused != 0 {
		t.Errorf("stats %+v, want 5 injected", st)
	}
}

// TestUnreadableHTMLIsRefusedNotForwarded: HTML the edge cannot decode
// would leave with scripts the policy blocks; a 502 JSON answer replaces it.
func TestUnreadableHTMLIsRefusedNotForwarded(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	huge := make([]byte, maxHeldCompressed+1)
	for _, tc := range []struct {
		name, enc string
		body      []byte
	}{
		{"brotli", "br", []byte("\x1b\x00<script>x</script>")},
		{"zstd", "zstd", []byte("(\xb5/\xfd<script>x</script>")},
		{"two codings", "gzip, br", []byte("<script>x</script>")},
		{"corrupt gzip", "gzip", []byte("<script>x</script> is not gzip")},
		{"truncated gzip", "gzip", compress(t, "gzip", []byte(nextPage))[:40]},
		{"too large", "gzip", huge},
	} {
		w, _ := serveNonce(t, p, newRequest(t, "GET", "https://chat.example/nope"), 404, prerendered("Content-Encoding", tc.enc), tc.body)
		if w.Code != http.StatusBadGateway {
			t.Errorf("%s: status %d, want 502", tc.name, w.Code)
			continue
		}
		var e struct{ Code, Message, Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code != "UPSTREAM_HTML_UNREADABLE" || e.Message == "" || e.Error != e.Message {
			t.Errorf("%s: body %q is not the JSON refusal (%v)", tc.name, w.Body, err)
		}
		if strings.Contains(w.Body.String(), "<script") {
			t.Errorf("%s: upstream bytes leaked into the refusal", tc.name)
		}
		if w.Header().Get("Content-Encoding") != "" || w.Header().Get("Content-Security-Policy") == "" || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: refusal headers %v", tc.name, w.Header())
		}
	}
	if st := p.Stats(); st.InjectRefused != 6 {
		t.Errorf("stats %+v, want 6 refused", st)
	}
}

func TestCompressedHeadResponseKeepsItsStatus(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	w, _ := serveNonce(t, p, newRequest(t, "HEAD", "https://chat.example/nope"), 404, prerendered("Content-Encoding", "gzip"), nil)
	if w.Code != 404 || w.Body.Len() != 0 || w.Header().Get("Content-Encoding") != "" {
		t.Fatalf("HEAD: %d, %d bytes, Content-Encoding %q", w.Code, w.Body.Len(), w.Header().Get("Content-Encoding"))
	}
}

// TestRequestsThatMayGetAPageAskForAFullIdentityAnswer: on requests whose
// answer may be a nonce page, the upstream is asked for uncompressed HTML
// and never for a 304.
func TestRequestsThatMayGetAPageAskForAFullIdentityAnswer(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	for _, tc := range []struct {
		name   string
		method string
		hdr    []string
		strip  bool
	}{
		{"browser navigation", "GET", []string{"Sec-Fetch-Dest", "document", "Accept", "text/html"}, true},
		{"iframe", "GET", []string{"Sec-Fetch-Dest", "iframe"}, true},
		{"curl, no Accept", "GET", nil, true},
		{"HEAD */*", "HEAD", []string{"Accept", "*/*"}, true},
		{"client asking html", "GET", []string{"Accept", "text/html,application/xhtml+xml"}, true},
		{"browser script", "GET", []string{"Sec-Fetch-Dest", "script", "Accept", "*/*"}, false},
		{"browser fetch (RSC)", "GET", []string{"Sec-Fetch-Dest", "empty", "Accept", "*/*"}, false},
		{"json client", "GET", []string{"Accept", "application/json"}, false},
		{"form post", "POST", []string{"Sec-Fetch-Dest", "document"}, false},
	} {
		r := newRequest(t, tc.method, "https://chat.example/page")
		r.Header.Set("Accept-Encoding", "gzip, br")
		r.Header.Set("If-None-Match", `"abc"`)
		r.Header.Set("If-Modified-Since", "Mon, 07 Dec 2026 12:00:00 GMT")
		for i := 0; i < len(tc.hdr); i += 2 {
			r.Header.Set(tc.hdr[i], tc.hdr[i+1])
		}
		p.Begin(newRecorder(), r)
		for _, name := range []string{"Accept-Encoding", "If-None-Match", "If-Modified-Since"} {
			if gone := r.Header.Get(name) == ""; gone != tc.strip {
				t.Errorf("%s: %s removed=%v, want %v", tc.name, name, gone, tc.strip)
			}
		}
	}
	// Without a nonce in the policy nothing is per request: keep them.
	r := newRequest(t, "GET", "https://chat.example/")
	r.Header.Set("If-None-Match", `"abc"`)
	mustBuild(t, mustPreset(t, "helmet")).Begin(newRecorder(), r)
	if r.Header.Get("If-None-Match") == "" {
		t.Error("helmet (no nonce) stripped If-None-Match")
	}
}

// FuzzNonceResponse sends arbitrary HTML through the policy as a
// prerendered page of any status, plain or compressed: the answer is the
// status it had with exactly the injector's output, or a 502 refusal, and
// never HTML without the nonce where the injector would have put it.
func FuzzNonceResponse(f *testing.F) {
	f.Add(nextPage, 404, uint8(0), 7)
	f.Add(`<script>a</script>`, 500, uint8(1), 1)
	f.Add(`<!-- <script> --><SCRIPT src=x>`, 302, uint8(2), 3)
	f.Add(`<textarea><script></textarea><script>`, 200, uint8(3), 5)
	f.Fuzz(func(t *testing.T, html string, status int, enc uint8, chunk int) {
		status = 200 + (status%400+400)%400
		encodings := []string{"", "gzip", "deflate", "br"}
		ce := encodings[int(enc)%len(encodings)]
		body := []byte(html)
		if ce == "gzip" || ce == "deflate" {
			body = compress(t, ce, body)
		}
		p := mustBuild(t, mustPreset(t, "ocomms"))
		w := newRecorder()
		var nonce string
		p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			nonce = w.(*ResponseWriter).Nonce()
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-Nextjs-Prerender", "1")
			if ce != "" {
				w.Header().Set("Content-Encoding", ce)
			}
			w.WriteHeader(status)
			step := (chunk%13+13)%13 + 1
			for b := body; len(b) > 0; b = b[min(step, len(b)):] {
				w.Write(b[:min(step, len(b))])
			}
		})).ServeHTTP(w, newRequest(t, "GET", "https://chat.example/x"))
		if !bodyAllowed(status) {
			return // 204: no body to rewrite or refuse
		}
		if ce == "br" {
			if w.Code != http.StatusBadGateway || strings.Contains(w.Body.String(), "<") {
				t.Fatalf("br: %d %q", w.Code, w.Body)
			}
			return
		}
		var want bytes.Buffer
		in := newNonceInjector(&want, nonce)
		in.Write([]byte(html))
		in.Close()
		if w.Code != status || w.Body.String() != want.String() {
			t.Fatalf("%s %d: got %d %q, want %d %q", ce, status, w.Code, w.Body, status, want.String())
		}
	})
}

// TestBakedNonceIsReplaced: Next.js bakes the nonce of the request that
// triggered an ISR regeneration into the cached page. A second nonce
// attribute would make Chromium treat the script as not nonceable, so the
// stale one must go, not merely come second.
func TestBakedNonceIsReplaced(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	page := `<html><head><script src="/_next/static/chunks/a.js" async="" nonce="Rr2WxqiRdWJO3jv97Ekxbw"></script>` +
		`<link rel="preload" as="script" nonce="Rr2WxqiRdWJO3jv97Ekxbw" href="/b.js"/></head>` +
		`<body><script nonce="Rr2WxqiRdWJO3jv97Ekxbw">self.__next_f.push([0])</script></body></html>`
	w, nonce := serveNonce(t, p, newRequest(t, "GET", "https://chat.example/isr"), 200, prerendered(), []byte(page))
	body := w.Body.String()
	if strings.Contains(body, "Rr2WxqiRdWJO3jv97Ekxbw") {
		t.Fatalf("the baked nonce is still in the page:\n%s", body)
	}
	if n := strings.Count(body, `nonce="`+nonce+`"`); n != 3 {
		t.Fatalf("%d tags carry this response's nonce, want 3:\n%s", n, body)
	}
}
