package consolemod_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/caddymodule/guardmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
)

// TestConsoleShowsDeviceLock: a user signs in once through the edge (and
// gets a device cookie), then fails with that cookie until the device
// locks; the console lists the account by its device-cookie state alone:
// no untrusted failure, one device, locked.
func TestConsoleShowsDeviceLock(t *testing.T) {
	ce := startConsoleEdge(t)
	signIn := func(password, cookie string) (int, http.Header) {
		st, hdr, _ := ce.do(t, http.MethodPost, ce.URL("/api/auth/sign-in/email"),
			string(modtest.SignInBody(demoupstream.DemoEmail, password)), "Content-Type", "application/json",
			"Origin", strings.TrimSuffix(ce.URL(""), "/"), "Cookie", cookie)
		return st, hdr
	}
	st, hdr := signIn(demoupstream.DefaultPassword, "")
	var device string
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == lockout.DeviceCookieName {
			device = c.Name + "=" + c.Value
		}
	}
	if st != http.StatusOK || device == "" {
		t.Fatalf("first sign-in: %d, device cookie %q", st, device)
	}
	for i := range lockout.DefaultDeviceFailures {
		if st, _ := signIn("wrong password", device); st == http.StatusOK || st == http.StatusTooManyRequests || st == http.StatusLocked {
			t.Fatalf("device failure %d: %d", i+1, st)
		}
	}
	if st, _ := signIn(demoupstream.DefaultPassword, device); st == http.StatusOK {
		t.Fatal("the device is not locked")
	}

	var locks struct {
		Lockouts []struct {
			Key               string `json:"key"`
			Locked            bool   `json:"locked"`
			Failures          int    `json:"failures"`
			Devices           int    `json:"devices"`
			DevicesLocked     int    `json:"devices_locked"`
			DevicesDistrusted int    `json:"devices_distrusted"`
		} `json:"lockouts"`
		TypedKey string `json:"typed_key"`
	}
	ce.api(t, "lockouts?email="+url.QueryEscape(demoupstream.DemoEmail), &locks)
	if len(locks.Lockouts) != 1 {
		t.Fatalf("lockouts: %+v", locks)
	}
	l := locks.Lockouts[0]
	if l.Key != locks.TypedKey || l.Locked || l.Failures != 0 || l.Devices != 1 || l.DevicesLocked != 1 || l.DevicesDistrusted != 0 {
		t.Fatalf("device-locked account: %+v", l)
	}
	// The lockout admin API shows the same state.
	st, _, raw := ce.do(t, http.MethodGet, "http://"+ce.AdminAddr+"/ocomms/lockouts", "")
	var admin guardmod.LockoutList
	if st != 200 || json.Unmarshal(raw, &admin) != nil || len(admin.Lockouts) != 1 {
		t.Fatalf("admin list: %d %s", st, raw)
	}
	if a := admin.Lockouts[0]; a.Key != l.Key || a.Devices != 1 || a.DevicesLocked != 1 || a.DevicesDistrusted != 0 {
		t.Fatalf("admin entry: %+v", a)
	}
	// Without a device cookie the account is open (its untrusted budget
	// is untouched).
	if st, _ := signIn(demoupstream.DefaultPassword, ""); st != http.StatusOK {
		t.Fatalf("untrusted sign-in beside the locked device: %d", st)
	}
}
