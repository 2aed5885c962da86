package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRedirectCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		h      http.HandlerFunc
		status Status
		detail string
	}{
		{"308 to https", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://localhost"+r.URL.RequestURI(), http.StatusPermanentRedirect)
		}, Pass, "308 https://localhost/"},
		{"301 to https", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://localhost/", http.StatusMovedPermanently)
		}, Pass, "301"},
		{"plain HTTP site, no redirect", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<html>chat</html>"))
		}, Fail, "no redirect"},
		{"redirect staying on http", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://localhost/login", http.StatusPermanentRedirect)
		}, Fail, "not to https"},
		{"temporary redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://localhost/", http.StatusFound)
		}, Warn, "temporary"},
		{"to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://www.example.com/", http.StatusPermanentRedirect)
		}, Warn, "another host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			opts := Options{HTTPURL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)}.withDefaults()
			s, _ := parseSite("https://localhost")
			res := checkRedirect(context.Background(), opts, s)
			if res.Status != tc.status || !strings.Contains(res.Detail, tc.detail) {
				t.Fatalf("got %s %q, want %s containing %q", res.Status, res.Detail, tc.status, tc.detail)
			}
			if res.Status != Pass && res.Fix == "" {
				t.Fatal("no fix")
			}
		})
	}
}

func TestRedirectCheckNothingListening(t *testing.T) {
	opts := Options{HTTPURL: "http://127.0.0.1:1/"}.withDefaults()
	s, _ := parseSite("https://127.0.0.1")
	if res := checkRedirect(context.Background(), opts, s); res.Status != Fail || !strings.Contains(res.Fix, "port 80") {
		t.Fatalf("got %+v", res)
	}
}
