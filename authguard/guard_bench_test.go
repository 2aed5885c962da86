package authguard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

type okNext struct{}

func (okNext) ServeHTTP(w http.ResponseWriter, _ *http.Request) error {
	w.WriteHeader(http.StatusOK)
	return nil
}

// BenchmarkNonAuthPath measures the guard on requests outside its prefix,
// side by side with the bare next handler: it must add no allocation.
func BenchmarkNonAuthPath(b *testing.B) {
	tg := newTestGuard(b, nil)
	for _, path := range []string{"/", "/_next/static/chunks/main-app.js", "/api/health", "/socket.io/?EIO=4&transport=polling"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		w := &testsupport.DiscardWriter{H: http.Header{}}
		var next NextHandler = okNext{}
		b.Run("bare"+path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = next.ServeHTTP(w, r)
			}
		})
		b.Run("guard"+path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = tg.g.Serve(w, r, next)
			}
		})
	}
}

func TestNonAuthPathAddsNoAllocation(t *testing.T) {
	tg := newTestGuard(t, nil)
	r := httptest.NewRequest(http.MethodPost, "/api/health", strings.NewReader("{}"))
	w := &testsupport.DiscardWriter{H: http.Header{}}
	if n := testing.AllocsPerRun(1000, func() { _ = tg.g.Serve(w, r, okNext{}) }); n != 0 {
		t.Fatalf("%v allocations per non-auth request, want 0", n)
	}
}

// BenchmarkSignIn measures a guarded sign-in (fake engine, a stub app
// answering 401), for the cost on auth paths.
func BenchmarkSignIn(b *testing.B) {
	tg := newTestGuard(b, func(c *GuardConfig) { c.Lockout = nil })
	next := nextFunc(func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"code":"INVALID_EMAIL_OR_PASSWORD","message":"Invalid email or password"}`))
		return nil
	})
	body := `{"email":"demo@ocomms.test","password":"not the password"}`
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-in/email", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		_ = tg.g.Serve(httptest.NewRecorder(), r, next)
	}
}

// BenchmarkSessionWatch measures what watching an auth answer for a new
// session cookie costs, side by side: get-session is never watched,
// organization/list is (an answer without a session cookie, the common
// case).
func BenchmarkSessionWatch(b *testing.B) {
	tg := newTestGuard(b, nil)
	for _, path := range []string{"/api/auth/get-session", "/api/auth/organization/list"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		w := &testsupport.DiscardWriter{H: http.Header{}}
		b.Run(strings.TrimPrefix(path, "/api/auth/"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = tg.g.Serve(w, r, okNext{})
			}
		})
	}
}
