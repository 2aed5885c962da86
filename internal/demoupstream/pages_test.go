package demoupstream

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// elementTag matches the opening tag of a script or style element.
var elementTag = regexp.MustCompile(`<(script|style)\b[^>]*>`)

// getPage fetches a page with optional request headers.
func getPage(t *testing.T, h http.Handler, path string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, rec.Code)
	}
	return rec
}

func TestDynamicPageNonceStamping(t *testing.T) {
	h := New(Options{StreamDelay: -1})
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"script-src nonce", map[string]string{"Content-Security-Policy": "default-src 'self'; script-src 'nonce-R4nd0m+/Nonce==' 'strict-dynamic'; style-src 'self' 'nonce-R4nd0m+/Nonce=='"}, "R4nd0m+/Nonce=="},
		{"default-src nonce", map[string]string{"Content-Security-Policy": "default-src 'self' 'nonce-fromDefault'"}, "fromDefault"},
		{"report-only fallback", map[string]string{"Content-Security-Policy-Report-Only": "script-src 'nonce-reportOnly'"}, "reportOnly"},
		{"script-src-elem is not used", map[string]string{"Content-Security-Policy": "script-src-elem 'nonce-elemOnly'"}, ""},
		{"malformed nonce", map[string]string{"Content-Security-Policy": `script-src 'nonce-bad"onload="x'`}, ""},
		{"no policy", nil, ""},
	}
	for _, path := range []string{"/", "/chat"} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				body := getPage(t, h, path, tt.headers).Body.String()
				tags := elementTag.FindAllString(body, -1)
				if len(tags) < 4 {
					t.Fatalf("only %d script/style tags in %s", len(tags), body)
				}
				for _, tag := range tags {
					if tt.want == "" {
						if strings.Contains(tag, "nonce") {
							t.Errorf("unexpected nonce in %s", tag)
						}
					} else if !strings.Contains(tag, ` nonce="`+tt.want+`"`) {
						t.Errorf("tag %s lacks nonce %q", tag, tt.want)
					}
				}
				if tt.want == "" && strings.Contains(body, "nonce=") {
					t.Errorf("nonce attribute somewhere in %s", body)
				}
			})
		}
	}
}

func TestDynamicPageContentAndHeaders(t *testing.T) {
	rec := getPage(t, New(Options{StreamDelay: -1}), "/chat", map[string]string{"Content-Security-Policy": "script-src 'nonce-n1'"})
	body := rec.Body.String()
	for _, want := range []string{
		`<script nonce="n1">self.__next_f=self.__next_f||[];self.__next_f.push([0])</script>`,
		`document.body.dataset.inline="ran"</script>`,
		`<script src="/_next/static/chunks/main-app.js" async="" integrity="` + MainAppIntegrity() + `" crossorigin="anonymous" nonce="n1"></script>`,
		`<style nonce="n1">`,
		` style="`,
		`<link rel="stylesheet" href="/_next/static/css/app.css"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	checkPageHeaders(t, rec.Header(), map[string]string{
		"Cache-Control": "private, no-cache, no-store, max-age=0, must-revalidate",
	})
	if rec.Header().Get("x-nextjs-prerender") != "" {
		t.Error("dynamic page marked as prerendered")
	}
}

func TestPrerenderedPages(t *testing.T) {
	h := New(Options{StreamDelay: -1})
	for _, path := range []string{"/login", "/signup"} {
		t.Run(path, func(t *testing.T) {
			rec := getPage(t, h, path, map[string]string{"Content-Security-Policy": "script-src 'nonce-shouldNotAppear'"})
			body := rec.Body.String()
			if strings.Contains(body, "nonce") {
				t.Errorf("prerendered page carries a nonce: %s", body)
			}
			if n := len(elementTag.FindAllString(body, -1)); n < 4 {
				t.Errorf("only %d script/style tags", n)
			}
			if !strings.Contains(body, `document.body.dataset.inline="ran"`) || !strings.Contains(body, `integrity="`+MainAppIntegrity()+`"`) {
				t.Errorf("page lacks the inline script or the SRI chunk: %s", body)
			}
			checkPageHeaders(t, rec.Header(), map[string]string{
				"x-nextjs-prerender": "1",
				"x-nextjs-cache":     "HIT",
				"Cache-Control":      "s-maxage=31536000",
			})
		})
	}
}

// flushRecorder records the body written between flushes.
type flushRecorder struct {
	*httptest.ResponseRecorder
	chunks  []string
	pending bytes.Buffer
}

func (f *flushRecorder) Write(p []byte) (int, error) {
	f.pending.Write(p)
	return f.ResponseRecorder.Write(p)
}

func (f *flushRecorder) WriteString(s string) (int, error) {
	return f.Write([]byte(s))
}

func (f *flushRecorder) Flush() {
	f.chunks = append(f.chunks, f.pending.String())
	f.pending.Reset()
	f.ResponseRecorder.Flush()
}

func TestPagesStreamInChunks(t *testing.T) {
	h := New(Options{StreamDelay: -1})
	for _, path := range []string{"/", "/login", "/signup", "/chat"} {
		t.Run(path, func(t *testing.T) {
			rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.Header.Set("Content-Security-Policy", "script-src 'nonce-abc'")
			h.ServeHTTP(rec, r)
			if len(rec.chunks) < 4 {
				t.Fatalf("%d flushed chunks, want at least 4", len(rec.chunks))
			}
			if got := strings.Join(rec.chunks, ""); got != rec.Body.String() || rec.pending.Len() != 0 {
				t.Error("flushed chunks do not add up to the body")
			}
			var splitTag, splitClose bool
			for _, c := range rec.chunks {
				splitTag = splitTag || strings.HasSuffix(c, "<scr")
				splitClose = splitClose || strings.HasSuffix(c, "</s")
			}
			if !splitTag || !splitClose {
				t.Errorf("no chunk boundary inside a script tag: %q", rec.chunks)
			}
		})
	}
}

func TestPagesAnswerRSCRequests(t *testing.T) {
	h := New(Options{})
	for _, path := range []string{"/", "/login"} {
		rec := getPage(t, h, path, map[string]string{"RSC": "1"})
		if ct := rec.Header().Get("Content-Type"); ct != "text/x-component" {
			t.Errorf("%s: content-type %q", path, ct)
		}
		if !strings.HasPrefix(rec.Body.String(), "0:[") || strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("%s: body %q", path, rec.Body.String())
		}
	}
}

func TestStreamDelayDefaults(t *testing.T) {
	if got := (Options{}).withDefaults().StreamDelay; got != DefaultStreamDelay {
		t.Errorf("default StreamDelay = %v", got)
	}
	if got := (Options{StreamDelay: -1}).withDefaults().StreamDelay; got >= 0 {
		t.Errorf("negative StreamDelay became %v", got)
	}
}

// checkPageHeaders fails t for every header a Next.js page sends (type,
// X-Powered-By, Vary) and every one in more that h lacks or carries with
// another value.
func checkPageHeaders(t *testing.T, h http.Header, more map[string]string) {
	t.Helper()
	want := map[string]string{
		"Content-Type": "text/html; charset=utf-8",
		"X-Powered-By": "Next.js",
		"Vary":         "RSC, Next-Router-State-Tree, Next-Router-Prefetch",
	}
	for k, v := range more {
		want[k] = v
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
