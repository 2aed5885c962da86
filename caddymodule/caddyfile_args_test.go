package caddymodule

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/ocomms/ocomms-edge/caddymodule/guardmod"
)

// TestDirectiveArgumentErrors pins the errors of the shared argument
// readers as the auth guard's lockout and two-factor blocks and the rate
// limiter's options give them.
func TestDirectiveArgumentErrors(t *testing.T) {
	guard := func(block string) error {
		var ag guardmod.AuthGuard
		return ag.UnmarshalCaddyfile(caddyfile.NewTestDispenser("ocomms_auth_guard {\n" + block + "\n}"))
	}
	limit := func(block string) error {
		var rl RateLimit
		return rl.UnmarshalCaddyfile(caddyfile.NewTestDispenser("ocomms_rate_limit {\n" + block + "\n}"))
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{guard("lockout {\n threshold 0\n}"), "threshold 0: at least 1"},
		{guard("lockout {\n spray_accounts many\n}"), `spray_accounts "many": want a whole number`},
		{guard("lockout {\n reset_after 0s\n}"), `reset_after "0s": want a duration such as 15m`},
		{guard("lockout {\n locks 15m 0s\n}"), `locks "0s": want durations such as 15m 30m 60m`},
		{guard("lockout {\n locks\n}"), "wrong argument count"},
		{guard("two_factor {\n backup_daily_cap 0\n}"), "backup_daily_cap 0: at least 1"},
		{guard("two_factor {\n locks 1h 500ms\n}"), `locks "500ms": want durations such as 1h 4h 24h`},
		{guard("two_factor {\n delays 0s -1s\n}"), `delays "-1s": want durations such as 1h 4h 24h`},
		{limit("instances 0"), "instances 0: at least 1"},
		{limit("timeout 0s"), `timeout "0s": want a duration such as 50ms`},
		{limit("sync_interval soon"), `sync_interval "soon": want a duration such as 50ms`},
	} {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("got %v, want an error with %q", tt.err, tt.want)
		}
	}
	if err := guard("lockout {\n threshold 3\n locks 15m 1h\n reset_after 12h\n}\ntwo_factor {\n delays 0s 5s\n locks 1h\n}"); err != nil {
		t.Errorf("valid blocks refused: %v", err)
	}
}
