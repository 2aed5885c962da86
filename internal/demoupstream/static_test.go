package demoupstream

import (
	"crypto/sha512"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestStaticFiles(t *testing.T) {
	h := New(Options{})
	tests := []struct {
		path, contentType, contains string
	}{
		{MainAppPath, "application/javascript; charset=UTF-8", `document.body.dataset.chunk="ran"`},
		{LazyPath, "application/javascript; charset=UTF-8", `document.body.dataset.lazy="ran"`},
		{AppCSSPath, "text/css; charset=UTF-8", ".ocomms-shell{"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("content-type %q, want %q", got, tt.contentType)
			}
			if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("cache-control %q", got)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body %q lacks %q", rec.Body.String(), tt.contains)
			}
		})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_next/static/chunks/missing.js", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("missing chunk: status %d", rec.Code)
	}
}

func TestMainAppLoadsLazyChunkDynamically(t *testing.T) {
	for _, want := range []string{`document.createElement("script")`, `s.src="` + LazyPath + `"`, "appendChild(s)"} {
		if !strings.Contains(mainAppJS, want) {
			t.Errorf("main-app.js lacks %s", want)
		}
	}
	if strings.Contains(mainAppJS, "nonce") {
		t.Error("the lazy chunk must load without a nonce (strict-dynamic)")
	}
}

func TestSRIMatchesServedBytes(t *testing.T) {
	h := New(Options{StreamDelay: -1})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, MainAppPath, nil))
	sum := sha512.Sum384(rec.Body.Bytes())
	want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
	if MainAppIntegrity() != want {
		t.Fatalf("MainAppIntegrity() = %q, served bytes hash to %q", MainAppIntegrity(), want)
	}
	attr := regexp.MustCompile(`<script src="` + regexp.QuoteMeta(MainAppPath) + `"[^>]* integrity="([^"]+)" crossorigin="anonymous"`)
	for _, path := range []string{"/", "/login"} {
		page := httptest.NewRecorder()
		h.ServeHTTP(page, httptest.NewRequest(http.MethodGet, path, nil))
		m := attr.FindStringSubmatch(page.Body.String())
		if m == nil || m[1] != want {
			t.Errorf("%s: integrity attribute %v, want %q", path, m, want)
		}
	}
}
