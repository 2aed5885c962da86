package caddymodule

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/doctor"
)

// v010Pages stands in for OComms v0.1.0's pages as its middleware serves
// them to a signed-out browser: /login and /signup are pages, and any
// other path, /forgot-password included (v0.1.0 has no reset flow),
// redirects to /login. /help is a page an operator might point to.
func v010Pages() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login", "/signup", "/help":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<!doctype html><title>OComms</title>"))
		default:
			http.Redirect(w, r, "/login?callbackUrl="+url.QueryEscape(r.URL.Path), http.StatusTemporaryRedirect)
		}
	})
}

// TestDoctorUnlockURLThroughCaddy: the doctor reads each guard's
// unlock_url from the admin API and fetches it through the edge. Against
// an app whose /forgot-password redirects to /login (OComms v0.1.0) it
// warns, naming the options to change; an existing page, or unlock_mode
// admin, passes.
func TestDoctorUnlockURLThroughCaddy(t *testing.T) {
	for _, tc := range []struct {
		name, modules string
		status        doctor.Status
		detail        []string
	}{
		{"default", "\tocomms_auth_guard", doctor.Warn,
			[]string{"/forgot-password → 307 /login?callbackUrl=%2Fforgot-password", "redirect to the login page", "no way out"}},
		{"existing page", "\tocomms_auth_guard {\n\t\tunlock_url /help\n\t}", doctor.Pass, []string{"/help → 200 text/html"}},
		{"admin mode", "\tocomms_auth_guard {\n\t\tunlock_mode admin\n\t}", doctor.Pass, []string{"unlock_mode admin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, caFile := startDoctorEdgeWith(t, v010Pages(), tc.modules)
			out, err := runDoctorCommand(t, doctorArgs(e, caFile, "--only", "unlock", "--json")...)
			if err != nil {
				t.Fatalf("doctor: %v\n%s", err, out)
			}
			var r doctor.Report
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			c, ok := r.Find("unlock url")
			if !ok || c.Status != tc.status || len(r.Checks) != 1 {
				t.Fatalf("unlock url: %+v (all: %+v)", c, r.Checks)
			}
			for _, want := range tc.detail {
				if !strings.Contains(c.Detail, want) {
					t.Errorf("detail %q lacks %q", c.Detail, want)
				}
			}
			if tc.status == doctor.Warn && (!strings.Contains(c.Fix, "`unlock_url`") || !strings.Contains(c.Fix, "`unlock_mode admin`")) {
				t.Errorf("fix %q names neither option", c.Fix)
			}
		})
	}
}
