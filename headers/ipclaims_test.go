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
