package ipallow

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// ipKey carries the test's "trusted" client address on the request, as
// the adapter's client_ip variable does.
type ipKey struct{}

func fromContext(r *http.Request) netip.Addr {
	a, _ := r.Context().Value(ipKey{}).(netip.Addr)
	return a
}

type countNext struct{ n int }

func (c *countNext) ServeHTTP(w http.ResponseWriter, _ *http.Request) error {
	c.n++
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func newGuard(t testing.TB, allow string, ev secevent.Emitter, onDeny func(string)) *Guard {
	t.Helper()
	l, err := ParseList(allow)
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := Preset("ocomms")
	g, err := New(Config{Allow: l, Rules: rules, ClientIP: fromContext, Events: ev, OnDeny: onDeny})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func request(method, target, ip string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	// A spoofed header: the guard must never read it.
	r.Header.Set("X-Forwarded-For", "10.0.0.1")
	r.Header.Set("X-Real-IP", "10.0.0.1")
	var a netip.Addr
	if ip != "" {
		a = netip.MustParseAddr(ip)
	}
	ctx := r.Context()
	return r.WithContext(contextWith(ctx, a))
}

func TestGuardServe(t *testing.T) {
	for _, tc := range []struct {
		name, method, target, ip string
		denied                   bool
	}{
		{"admin from outside", "POST", "/api/admin/export", "203.0.113.9", true},
		{"admin from inside", "POST", "/api/admin/export", "10.20.30.40", false},
		{"admin from inside, v6", "GET", "/api/admin/audit-logs", "2001:db8::7", false},
		{"admin from mapped v4 inside", "GET", "/api/admin/audit-logs", "::ffff:10.1.1.1", false},
		{"better-auth admin from outside", "POST", "/api/auth/admin/set-role", "198.51.100.1", true},
		{"no client address", "GET", "/api/admin/audit-logs", "", true},
		{"not admin, from outside", "GET", "/api/channels", "203.0.113.9", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := testsupport.NewEvents()
			var denies []string
			g := newGuard(t, "10.0.0.0/8,2001:db8::/32", rec, func(k string) { denies = append(denies, k) })
			next := &countNext{}
			w := httptest.NewRecorder()
			if err := g.Serve(w, request(tc.method, tc.target, tc.ip), next); err != nil {
				t.Fatal(err)
			}
			if !tc.denied {
				if w.Code != http.StatusNoContent || next.n != 1 || len(rec.All()) != 0 || len(denies) != 0 {
					t.Fatalf("passed request: status %d, next %d, events %d", w.Code, next.n, len(rec.All()))
				}
				return
			}
			if w.Code != http.StatusForbidden || next.n != 0 {
				t.Fatalf("status %d, forwarded %d times", w.Code, next.n)
			}
			var body struct{ Code, Message, Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Code != DeniedCode || body.Message == "" || body.Error != body.Message {
				t.Fatalf("body %s (%v)", w.Body.String(), err)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content type %q", ct)
			}
			if len(rec.All()) != 1 || len(denies) != 1 || denies[0] != RulePath {
				t.Fatalf("events %d, denies %v", len(rec.All()), denies)
			}
			e := rec.All()[0]
			if e.Action != secevent.ActionAccessDenied || e.Outcome != secevent.OutcomeFailure || e.SourceIP != tc.ip ||
				e.Path != tc.target || e.Status != 403 || e.Labels["rule"] != RulePath || e.Labels["by"] != "ip_allow" {
				t.Fatalf("event %+v", e)
			}
		})
	}
}

func TestGuardServerAction(t *testing.T) {
	rec := testsupport.NewEvents()
	g := newGuard(t, "10.0.0.0/8", rec, nil)
	r := request("POST", "/acme/settings/members", "203.0.113.9")
	r.Header.Set("Next-Action", "40c1a5e0f3")
	w := httptest.NewRecorder()
	next := &countNext{}
	_ = g.Serve(w, r, next)
	if w.Code != 403 || next.n != 0 || len(rec.All()) != 1 || rec.All()[0].Labels["rule"] != RuleServerAction ||
		rec.All()[0].Labels["rule_match"] != "/*/settings/members*" {
		t.Fatalf("status %d next %d events %+v", w.Code, next.n, rec.All())
	}
}

func TestGuardOffWhenEmpty(t *testing.T) {
	rec := testsupport.NewEvents()
	g := newGuard(t, "", rec, nil)
	if !g.Off() {
		t.Fatal("an empty list must turn the guard off")
	}
	w := httptest.NewRecorder()
	next := &countNext{}
	_ = g.Serve(w, request("POST", "/api/admin/export", "203.0.113.9"), next)
	if next.n != 1 || len(rec.All()) != 0 {
		t.Fatal("the guard refused with an empty list")
	}
}

func TestNewNeedsClientIP(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without ClientIP")
	}
}

func TestGuardHandler(t *testing.T) {
	g := newGuard(t, "10.0.0.0/8", nil, nil)
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", "/api/admin/x", "192.0.2.1"))
	if w.Code != 403 {
		t.Fatalf("status %d", w.Code)
	}
}

type nopNext struct{}

func (nopNext) ServeHTTP(http.ResponseWriter, *http.Request) error { return nil }

// TestGuardDoesNotAllocate: requests no rule matches, and admin requests
// from allowed clients, pass without allocating.
func TestGuardDoesNotAllocate(t *testing.T) {
	g := newGuard(t, "10.0.0.0/8,2001:db8::/32", nil, nil)
	w := &testsupport.DiscardWriter{H: http.Header{}}
	for _, r := range []*http.Request{
		request("GET", "/acme/channels/general", "203.0.113.9"),
		request("POST", "/api/auth/sign-in/email", "203.0.113.9"),
		request("GET", "/socket.io/?EIO=4&transport=polling", "2001:db8::1"),
		request("POST", "/api/admin/export", "10.1.2.3"),
	} {
		if n := testing.AllocsPerRun(100, func() { _ = g.Serve(w, r, nopNext{}) }); n != 0 {
			t.Errorf("%s %s: %v allocations", r.Method, r.URL.Path, n)
		}
	}
}

func BenchmarkGuardUnmatched(b *testing.B) {
	benchmarkGuard(b, request("GET", "/acme/channels/general", "203.0.113.9"))
}

func BenchmarkGuardAllowedAdmin(b *testing.B) {
	benchmarkGuard(b, request("POST", "/api/admin/export", "10.1.2.3"))
}

// benchmarkGuard serves r, over and over, through the guard of
// TestGuardDoesNotAllocate.
func benchmarkGuard(b *testing.B, r *http.Request) {
	g := newGuard(b, "10.0.0.0/8,2001:db8::/32", nil, nil)
	w := &testsupport.DiscardWriter{H: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Serve(w, r, nopNext{})
	}
}
