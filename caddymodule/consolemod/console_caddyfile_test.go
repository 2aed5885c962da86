package consolemod_test

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/consolemod"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

func TestConsoleCaddyfile(t *testing.T) {
	var c consolemod.Console
	in := "ocomms_console {\n\tprefix /ops/console\n\taccess session\n\tsession_url http://app:3000/api/auth/get-session\n\tadmin_roles admin owner\n\trefresh 10s\n\tdoctor_url https://chat.example.com\n\tdoctor_admin 127.0.0.1:2019\n}"
	if err := c.UnmarshalCaddyfile(caddyfile.NewTestDispenser(in)); err != nil {
		t.Fatal(err)
	}
	if c.Prefix != "/ops/console" || c.Access != "session" || c.SessionURL != "http://app:3000/api/auth/get-session" ||
		strings.Join(c.AdminRoles, ",") != "admin,owner" || c.Refresh != caddy.Duration(10*time.Second) ||
		c.DoctorURL != "https://chat.example.com" || c.DoctorAdmin != "127.0.0.1:2019" {
		t.Errorf("parsed %+v", c)
	}
	for in, want := range map[string]string{
		"ocomms_console /ops":                                         "settings in a block",
		"ocomms_console {\n\taccess public\n}":                        "use session or local",
		"ocomms_console {\n\trefresh 10ms\n}":                         "1s or more",
		"ocomms_console {\n\tcolor red\n}":                            "unknown ocomms_console option",
		"ocomms_console {\n\tdoctor_url http://x\n}":                  "https://",
		"ocomms_console {\n\taccess local\n\tsession_url http://a\n}": "no session_url",
		"ocomms_console {\n\tadmin_roles\n}":                          "wrong argument count",
	} {
		var c consolemod.Console
		err := c.UnmarshalCaddyfile(caddyfile.NewTestDispenser(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// A site console without the app's get-session URL does not load: off by
// default means nothing answers until it is configured in full.
func TestConsoleNeedsSessionURL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	e := edgetest.New(t)
	err := e.TryLoad(t, "{\n\tadmin off\n\thttp_port {HTTP_PORT}\n\thttps_port {HTTPS_PORT}\n\tstorage file_system {DIR}/storage\n\tskip_install_trust\n}\nlocalhost {\n\tocomms_console\n\trespond ok\n}\n")
	if err == nil || !strings.Contains(err.Error(), "session_url") {
		t.Fatalf("loaded without a session URL: %v", err)
	}
}
