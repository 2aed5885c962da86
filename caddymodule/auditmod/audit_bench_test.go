package auditmod

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/adminaction"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/secevent"
)

// BenchmarkAuditNonAdmin measures what ocomms_audit adds to a request that
// is not an admin action (the common case: pages, socket.io, sign-in),
// side by side with the bare next handler. Run with -benchmem.
func BenchmarkAuditNonAdmin(b *testing.B) {
	actions, err := adminaction.NewAdminActions(adminaction.AdminConfig{
		Paths:    adminaction.AdminPaths{Pages: []string{"/admin*", "/*/settings*"}},
		ClientIP: modkit.ClientIP,
		Emitter:  secevent.Discard,
	})
	if err != nil {
		b.Fatal(err)
	}
	h := &Audit{actions: actions}
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	for _, tc := range []struct{ name, method, path string }{
		{"page", http.MethodGet, "/ws1/channels/general"},
		{"socketio", http.MethodGet, "/socket.io/?EIO=4&transport=polling"},
		{"signin", http.MethodPost, "/api/auth/sign-in/email"},
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		w := httptest.NewRecorder()
		b.Run(tc.name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = next.ServeHTTP(w, r)
			}
		})
		b.Run(tc.name+"/audit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = h.ServeHTTP(w, r, next)
			}
		})
	}
}
