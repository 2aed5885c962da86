package accessmod

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/ipallow"
)

// ipAllowHandler is the handler as Provision builds it, without a config.
func ipAllowHandler(tb testing.TB) *IPAllow {
	tb.Helper()
	list, err := ipallow.ParseList("10.0.0.0/8,2001:db8::/32")
	if err != nil {
		tb.Fatal(err)
	}
	rules, _ := ipallow.Preset("ocomms")
	g, err := ipallow.New(ipallow.Config{Allow: list, Rules: rules, ClientIP: trustedClientAddr})
	if err != nil {
		tb.Fatal(err)
	}
	return &IPAllow{guard: g}
}

// caddyRequest is a request as Caddy's server hands it on: its vars carry
// client_ip.
func caddyRequest(method, target, clientIP string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	vars := map[string]any{caddyhttp.ClientIPVarKey: clientIP}
	return r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
}

var nextNoop = caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })

// TestIPAllowAdapterDoesNotAllocate: through the adapter (client_ip read
// from Caddy's vars), unmatched requests and allowed admin requests do not
// allocate; a refused one is answered 403.
func TestIPAllowAdapterDoesNotAllocate(t *testing.T) {
	h := ipAllowHandler(t)
	w := &testsupport.DiscardWriter{H: http.Header{}}
	for _, r := range []*http.Request{
		caddyRequest("GET", "/acme/channels/general", "203.0.113.9"),
		caddyRequest("GET", "/socket.io/?EIO=4&transport=polling", "2001:db8::1"),
		caddyRequest("POST", "/api/admin/export", "10.1.2.3"),
		caddyRequest("GET", "/api/admin/audit-logs", "2001:db8::9"),
	} {
		if n := testing.AllocsPerRun(100, func() { _ = h.ServeHTTP(w, r, nextNoop) }); n != 0 {
			t.Errorf("%s %s from %v: %v allocations", r.Method, r.URL.Path, r.Context().Value(caddyhttp.VarsCtxKey), n)
		}
	}
	rec := httptest.NewRecorder()
	_ = h.ServeHTTP(rec, caddyRequest("POST", "/api/admin/export", "203.0.113.9"), nextNoop)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("outside client: %d", rec.Code)
	}
}

func BenchmarkIPAllowAdapterUnmatched(b *testing.B) {
	benchmarkIPAllowAdapter(b, caddyRequest("GET", "/acme/channels/general", "203.0.113.9"))
}

func BenchmarkIPAllowAdapterAllowedAdmin(b *testing.B) {
	benchmarkIPAllowAdapter(b, caddyRequest("POST", "/api/admin/export", "10.1.2.3"))
}

// benchmarkIPAllowAdapter serves r, over and over, through ipAllowHandler.
func benchmarkIPAllowAdapter(b *testing.B, r *http.Request) {
	h := ipAllowHandler(b)
	w := &testsupport.DiscardWriter{H: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		_ = h.ServeHTTP(w, r, nextNoop)
	}
}
