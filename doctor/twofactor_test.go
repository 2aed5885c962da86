package doctor

import (
	"context"
	"strings"
	"testing"
)

func TestGuardTwoFactorSettings(t *testing.T) {
	cfg := parseCfg(t, `{"apps":{"http":{"servers":{"a":{"routes":[{"handle":[
		{"handler":"ocomms_auth_guard"},
		{"handler":"ocomms_auth_guard","two_factor":{"daily_cap":10}},
		{"handler":"ocomms_auth_guard","two_factor":{"off":true}},
		{"handler":"ocomms_auth_guard","lockout":{"off":true},"two_factor":{"daily_cap":5}}]}]}}}}}`)
	got := guardTwoFactorSettings(cfg)
	want := []twoFactorSetting{{DailyCap: 20}, {DailyCap: 10}, {Off: true}}
	if len(got) != len(want) {
		t.Fatalf("%+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%+v, want %+v", got, want)
		}
	}
}

func TestCheckTwoFactor(t *testing.T) {
	for _, tc := range []struct {
		config, status, detail string
	}{
		{`{"handler":"ocomms_auth_guard"}`, "pass", "6.0e-05"},
		{`{"handler":"ocomms_auth_guard","two_factor":{"off":true}}`, "warn", "not limited"},
	} {
		admin := adminAPI(t, `{"apps":{"http":{"servers":{"a":{"routes":[{"handle":[`+tc.config+`]}]}}}}}`)
		opts := Options{Admin: strings.TrimPrefix(admin, "http://")}.withDefaults()
		res := checkTwoFactor(context.Background(), opts)
		if len(res) != 1 || string(res[0].Status) != tc.status || !strings.Contains(res[0].Detail, tc.detail) {
			t.Fatalf("%s: %+v", tc.config, res)
		}
	}
	if res := checkTwoFactor(context.Background(), Options{}.withDefaults()); res[0].Status != Skip {
		t.Fatalf("no admin: %+v", res)
	}
}
