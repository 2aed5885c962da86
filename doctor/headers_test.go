package doctor

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/headers"
)

// ocommsHeaders is what the ocomms preset sends (with a sample nonce).
func ocommsHeaders() http.Header {
	h := http.Header{}
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-abc' 'strict-dynamic'; style-src 'self' 'nonce-abc'; style-src-elem 'self' 'unsafe-inline'; frame-ancestors 'none'; object-src 'none'")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=()")
	return h
}

func TestEvaluateHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(h http.Header)
		https  bool
		status Status
		want   []string // substrings of the problems
	}{
		{"ocomms preset", func(http.Header) {}, true, Pass, nil},
		{"no headers at all", func(h http.Header) {
			for k := range h {
				h.Del(k)
			}
		}, true, Fail, []string{"no Content-Security-Policy", "no Strict-Transport-Security", "X-Frame-Options", "nosniff", "no Referrer-Policy", "no Permissions-Policy"}},
		{"OComms v0.2.0 nginx", func(h http.Header) {
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; connect-src 'self' ws: wss:")
			h.Set("Strict-Transport-Security", "max-age=3600")
			h.Set("X-Frame-Options", "SAMEORIGIN")
		}, true, Fail, []string{"script-src allows 'unsafe-inline' 'unsafe-eval'", "max-age=3600 is under one year"}},
		{"report-only CSP", func(h http.Header) {
			h.Set("Content-Security-Policy-Report-Only", h.Get("Content-Security-Policy"))
			h.Del("Content-Security-Policy")
		}, true, Fail, []string{"report-only"}},
		{"default-src fallback with unsafe-eval", func(h http.Header) {
			h.Set("Content-Security-Policy", "default-src 'self' 'unsafe-eval'; frame-ancestors 'none'")
		}, true, Fail, []string{"default-src allows 'unsafe-eval'"}},
		{"CSP without script restriction", func(h http.Header) {
			h.Set("Content-Security-Policy", "img-src 'self'; frame-ancestors 'none'")
		}, true, Fail, []string{"any script may run"}},
		{"a second strict policy makes scripts safe", func(h http.Header) {
			h.Add("Content-Security-Policy", "script-src 'self' 'unsafe-inline'")
		}, true, Pass, nil},
		{"frame-ancestors stands in for XFO", func(h http.Header) { h.Del("X-Frame-Options") }, true, Pass, nil},
		{"no XFO and no frame-ancestors", func(h http.Header) {
			h.Del("X-Frame-Options")
			h.Set("Content-Security-Policy", "script-src 'nonce-a'")
		}, true, Fail, []string{"clickjacking"}},
		{"HSTS not judged over http", func(h http.Header) { h.Del("Strict-Transport-Security") }, false, Pass, nil},
		{"leaky referrer", func(h http.Header) { h.Set("Referrer-Policy", "no-referrer, unsafe-url") }, true, Fail, []string{"unsafe-url leaks"}},
		{"missing Permissions-Policy only warns", func(h http.Header) { h.Del("Permissions-Policy") }, true, Warn, []string{"no Permissions-Policy"}},
		{"X-Powered-By warns", func(h http.Header) { h.Set("X-Powered-By", "Next.js") }, true, Warn, []string{"X-Powered-By: Next.js"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := ocommsHeaders()
			tc.edit(h)
			res := headerResult("headers /", "GET / → 200", evaluateHeaders(h, tc.https))
			if res.Status != tc.status {
				t.Fatalf("status %s, want %s: %s", res.Status, tc.status, res.Detail)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Detail, w) {
					t.Errorf("detail %q lacks %q", res.Detail, w)
				}
			}
			if res.Status != Pass && res.Fix == "" {
				t.Errorf("no fix for %s", res.Detail)
			}
		})
	}
}

func TestHSTSMaxAge(t *testing.T) {
	for in, want := range map[string]int64{
		"max-age=31536000; includeSubDomains": 31536000,
		`includeSubDomains; MAX-AGE="600"`:    600,
		"max-age=0":                           0,
	} {
		if got, ok := hstsMaxAge(in); !ok || got != want {
			t.Errorf("hstsMaxAge(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "includeSubDomains", "max-age=-1", "max-age=abc"} {
		if _, ok := hstsMaxAge(in); ok {
			t.Errorf("hstsMaxAge(%q) accepted", in)
		}
	}
}

func TestParseCSPFirstDirectiveWins(t *testing.T) {
	p := headers.ParseCSP("Script-Src 'nonce-x'; script-src 'unsafe-inline'")
	if got := scriptProblem(p); got != "" {
		t.Fatalf("first script-src should win, got problem %q", got)
	}
	if got := parseCSPHeaders([]string{"script-src *, img-src 'self'"}); len(got) != 2 {
		t.Fatalf("comma-separated policies: got %d, want 2", len(got))
	}
}
