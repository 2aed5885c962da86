package headers

import (
	"net/http"
	"testing"
)

func TestStripIPClaims(t *testing.T) {
	h := http.Header{}
	for _, name := range []string{"forwarded", "true-client-ip", "CF-Connecting-IP", "x-client-ip", "X-Cluster-Client-IP",
		"Fastly-Client-IP", "X-Original-Forwarded-For", "X-Real-IP"} {
		h.Set(name, "6.6.6.6")
	}
	h.Set("X-Forwarded-For", "6.6.6.6")
	h.Set("Accept", "text/html")
	StripIPClaims(h)
	if len(h) != 2 || h.Get("Accept") == "" || h.Get("X-Forwarded-For") == "" {
		t.Fatalf("after stripping: %v", h)
	}
	for _, name := range IPClaimHeaders {
		if name != http.CanonicalHeaderKey(name) {
			t.Errorf("%q is not in canonical form: delete would miss it", name)
		}
	}
}

// BenchmarkStripIPClaims is the per-request cost ocomms_headers adds for
// a request from an untrusted peer, on a browser-like header set.
func BenchmarkStripIPClaims(b *testing.B) {
	base := http.Header{}
	for _, kv := range [][2]string{{"Accept", "text/html"}, {"Accept-Encoding", "gzip, br"}, {"Accept-Language", "en"},
		{"Cookie", "a=b"}, {"User-Agent", "Mozilla/5.0"}, {"Sec-Fetch-Dest", "document"}, {"Sec-Fetch-Mode", "navigate"}} {
		base.Set(kv[0], kv[1])
	}
	h := base.Clone()
	b.ReportAllocs()
	for b.Loop() {
		StripIPClaims(h)
	}
}
