package guardmod_test

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/ocomms/ocomms-edge/caddymodule/guardmod"
)

// TestTwoFactorCaddyfile: the two_factor block's subdirectives, and the
// refusal of a daily cap that would let the guessing chance reach 1e-4.
func TestTwoFactorCaddyfile(t *testing.T) {
	var ag guardmod.AuthGuard
	err := ag.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`ocomms_auth_guard {
		two_factor {
			max_failures 4
			locks 30m 2h
			delays 0s 10s
			daily_cap 33
			pending_max_failures 2
			backup_max_failures 3
			backup_locks 1h
			backup_daily_cap 6
			send_otp_rate 2 15m
			send_otp_ip_rate 8
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	tc := ag.TwoFactor
	if tc == nil || tc.MaxFailures != 4 || len(tc.Locks) != 2 || tc.Locks[1] != caddy.Duration(2*time.Hour) || len(tc.Delays) != 2 || tc.DailyCap != 33 ||
		tc.PendingMaxFailures != 2 || tc.BackupMaxFailures != 3 || tc.BackupDailyCap != 6 || len(tc.BackupLocks) != 1 ||
		tc.SendOTP != 2 || tc.SendOTPWindow != caddy.Duration(15*time.Minute) || tc.SendOTPPerIP != 8 {
		t.Fatalf("parsed %+v", tc)
	}
	var off guardmod.AuthGuard
	if err := off.UnmarshalCaddyfile(caddyfile.NewTestDispenser("ocomms_auth_guard {\n two_factor off\n}")); err != nil || !off.TwoFactor.Off {
		t.Fatalf("off: %v %+v", err, off.TwoFactor)
	}
	for input, want := range map[string]string{
		"two_factor {\n daily_cap 34\n}":        "below 1 in 10,000",
		"two_factor {\n max_failures 0\n}":      "at least 1",
		"two_factor {\n locks soon\n}":          "durations",
		"two_factor {\n send_otp_rate 3\n}":     "<n> <window>",
		"two_factor {\n send_otp_rate x 10m\n}": "count",
		"two_factor {\n guesses 5\n}":           "unrecognized two_factor subdirective",
		"two_factor maybe":                      "off",
	} {
		var ag guardmod.AuthGuard
		err := ag.UnmarshalCaddyfile(caddyfile.NewTestDispenser("ocomms_auth_guard {\n" + input + "\n}"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%q: %v, want %q", input, err, want)
		}
	}
}
