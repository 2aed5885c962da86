package guardmod_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/guardmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
)

// The auth guard's admin API (list, unlock) and the configurations it
// refuses to load, through Caddy.

func TestAuthGuardAdminAPI(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	for i := 0; i < 5; i++ {
		ge.signIn(t, demoupstream.DemoEmail, "wrong password")
	}
	l := ge.lockouts(t)
	if len(l.Lockouts) != 1 || l.Lockouts[0].Failures != 5 || l.Lockouts[0].LockedUntil == nil || len(l.Lockouts[0].Key) != 32 {
		t.Fatalf("list %+v", l)
	}
	status, raw := ge.admin(t, http.MethodGet, "/ocomms/lockouts", nil)
	if status != 200 || strings.Contains(string(raw), "demo@") {
		t.Fatalf("the list shows emails: %s", raw)
	}
	// GET and other methods on unlock change nothing.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		if status, _ := ge.admin(t, m, "/ocomms/lockouts/unlock?email="+demoupstream.DemoEmail, nil); status != http.StatusMethodNotAllowed {
			t.Errorf("%s unlock: %d, want 405", m, status)
		}
	}
	if status, _ := ge.admin(t, http.MethodPost, "/ocomms/lockouts", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("POST list: %d, want 405", status)
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword); a.status != 429 {
		t.Fatalf("still locked after the GETs: %d", a.status)
	}
	if status, raw := ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", map[string]string{"nope": "x"}); status != 400 {
		t.Fatalf("bad unlock body: %d %s", status, raw)
	}
	status, raw = ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", guardmod.UnlockRequest{Email: "DEMO@ocomms.test"})
	var res guardmod.UnlockResult
	if status != 200 || json.Unmarshal(raw, &res) != nil || !res.Unlocked {
		t.Fatalf("unlock: %d %s", status, raw)
	}
	// By key, as the list shows it.
	for i := 0; i < 5; i++ {
		ge.signIn(t, "keyed@ocomms.test", "wrong password")
	}
	l = ge.lockouts(t)
	if len(l.Lockouts) != 1 {
		t.Fatalf("list %+v", l)
	}
	if status, raw := ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", guardmod.UnlockRequest{Key: "not-a-key"}); status != 400 {
		t.Fatalf("bad key: %d %s", status, raw)
	}
	status, raw = ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", guardmod.UnlockRequest{Key: l.Lockouts[0].Key})
	if status != 200 || !strings.Contains(string(raw), `"unlocked":true`) {
		t.Fatalf("unlock by key: %d %s", status, raw)
	}
	if a := ge.signIn(t, "keyed@ocomms.test", "wrong password"); a.status != 401 {
		t.Fatalf("after unlock by key: %d", a.status)
	}
	ge.admin(t, http.MethodPost, "/ocomms/lockouts/unlock", guardmod.UnlockRequest{Email: "keyed@ocomms.test"})
	if a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword); a.status != 200 {
		t.Fatalf("after unlock: %d %s", a.status, a.body)
	}
	if l := ge.lockouts(t); len(l.Lockouts) != 0 {
		t.Fatalf("list after unlock %+v", l)
	}
}

func TestAuthGuardRefusesUnsafeConfigs(t *testing.T) {
	var cases []modtest.RefusedConfig
	for _, tc := range []struct{ global, guard, want string }{
		// Redis is dialled lazily, so these fail at provisioning, offline.
		{"ocomms {\n\t\tredis redis://127.0.0.1:6379\n\t}", "", "needs the ocomms secret"},
		{"ocomms {\n\t\tsecret tooshort\n\t}", "", "at least 16"},
		{"", "store redis", "no Redis configured"},
		{"", "password {\n\t\t\tmin_length 20\n\t\t\tmax_length 10\n\t\t}", "password lengths"},
		{"", "lockout {\n\t\t\tthreshold 10\n\t\t\thard_limit 5\n\t\t}", "hard_limit"},
	} {
		cfg := strings.NewReplacer(guardPlaceholders("127.0.0.1:9", tc.guard, tc.global, "")...).Replace(authGuardCaddyfile)
		cases = append(cases, modtest.RefusedConfig{Name: fmt.Sprintf("%q / %q", tc.global, tc.guard), Caddyfile: cfg, Want: tc.want})
	}
	modtest.CheckRefused(t, modtest.NewEdge(t), cases, "tooshort")
}

func TestAuthGuardAdminAPIWithoutAGuard(t *testing.T) {
	ge := startGuardEdge(t, "lockout off", "", "", demoupstream.Options{})
	if status, raw := ge.admin(t, http.MethodGet, "/ocomms/lockouts", nil); status != http.StatusNotFound || !strings.Contains(string(raw), "no ocomms_auth_guard") {
		t.Fatalf("list without a lockout: %d %s", status, raw)
	}
	// lockout off: wrong passwords are only the app's business.
	for i := 0; i < 7; i++ {
		if a := ge.signIn(t, demoupstream.DemoEmail, "wrong"); a.status != 401 {
			t.Fatalf("attempt %d: %d", i+1, a.status)
		}
	}
}
