package headers

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func mustPreset(t testing.TB, name string) Options {
	t.Helper()
	o, err := Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustBuild(t testing.TB, o Options) *Policy {
	t.Helper()
	p, err := Build(o, nil)
	if err != nil {
		t.Fatalf("building policy: %v", err)
	}
	return p
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// newRequest makes a request; https URLs get a TLS connection state.
func newRequest(t testing.TB, method, url string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, url, nil)
	if r.URL.Scheme == "https" {
		r.TLS = &tls.ConnectionState{}
	}
	return r
}
