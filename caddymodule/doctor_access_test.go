package caddymodule

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/doctor"
)

// doctorAccessReport runs `caddy ocomms doctor --only access` against an
// edge with modules.
func doctorAccessReport(t *testing.T, modules string, extra ...string) doctor.Report {
	t.Helper()
	e, caFile := startDoctorEdge(t, modules)
	out, err := runDoctorCommand(t, doctorArgs(e, caFile, append([]string{"--only", "access", "--json"}, extra...)...)...)
	if err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	var r doctor.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

// TestDoctorIPAllowAndOriginThroughCaddy: `caddy ocomms doctor --only
// access` reads the running edge's configuration from the admin API: an
// allowlist open to ::/0 and a BETTER_AUTH_URL the edge refuses are
// warnings with fixes; a narrow list passes. (Each edge in a subtest: one
// Caddy per process at a time.)
func TestDoctorIPAllowAndOriginThroughCaddy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	t.Run("wide", func(t *testing.T) {
		r := doctorAccessReport(t, "\tocomms_headers ocomms\n\tocomms_ip_allow {\n\t\tpreset ocomms\n\t\tallow 10.0.0.0/8 ::/0\n\t}\n\tocomms_origin",
			"--better-auth-url", "http://localhost:3000")
		for name, want := range map[string]string{"admin allowlist": "contains ::/0", "allowed origins": "neither the site's"} {
			if c, ok := r.Find(name); !ok || c.Status != doctor.Warn || !strings.Contains(c.Detail, want) || c.Fix == "" {
				t.Errorf("%s: %+v", name, c)
			}
		}
	})
	t.Run("narrow", func(t *testing.T) {
		r := doctorAccessReport(t, "\tocomms_headers ocomms\n\tocomms_ip_allow {\n\t\tpreset ocomms\n\t\tallow 10.0.0.0/8\n\t}\n\tocomms_origin {\n\t\tallow https://app.example.com\n\t}",
			"--better-auth-url", "https://app.example.com/api/auth", "--better-auth-trusted-origins", "https://app.example.com")
		if c, _ := r.Find("admin allowlist"); c.Status != doctor.Pass {
			t.Errorf("narrow allowlist: %+v", c)
		}
		// BETTER_AUTH_URL on another origin than the site's, though allowed.
		if c, _ := r.Find("allowed origins"); c.Status != doctor.Warn || !strings.Contains(c.Detail, "is not the site's") {
			t.Errorf("allowed origins: %+v", c)
		}
		if c, _ := r.Find("trusted proxies"); c.Status != doctor.Pass {
			t.Errorf("trusted proxies: %+v", c)
		}
	})
}
