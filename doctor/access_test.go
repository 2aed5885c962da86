package doctor

import (
	"context"
	"strings"
	"testing"
)

func TestJudgeAllowlist(t *testing.T) {
	for _, tc := range []struct {
		handlers string
		status   Status
		detail   string
	}{
		{`{"handler":"reverse_proxy"}`, Warn, "no ocomms_ip_allow"},
		{`{"handler":"ocomms_ip_allow","preset":"ocomms"}`, Warn, "is off"},
		{`{"handler":"ocomms_ip_allow","allow":["10.0.0.0/8","0.0.0.0/0"]}`, Warn, "contains 0.0.0.0/0"},
		{`{"handler":"ocomms_ip_allow","allow":["::/0"]}`, Warn, "contains ::/0"},
		{`{"handler":"ocomms_ip_allow","allow":["10.0.0.0/8","2001:db8::/32"]}`, Pass, "10.0.0.0/8,2001:db8::/32"},
	} {
		res := judgeAllowlist(parseCfg(t, serverCfg(tc.handlers, "")))
		if res.Status != tc.status || !strings.Contains(res.Detail, tc.detail) || (res.Status == Warn && res.Fix == "") {
			t.Errorf("%s: %s %q", tc.handlers, res.Status, res.Detail)
		}
	}
}

func TestJudgeTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		trusted string
		status  Status
		detail  string
	}{
		{"", Pass, "no trusted proxies"},
		{`"trusted_proxies":{"source":"static","ranges":["10.0.0.0/8","192.168.0.0/16"]},"trusted_proxies_strict":1`, Pass, "narrow"},
		{`"trusted_proxies":{"source":"static","ranges":["10.0.0.0/8"]}`, Warn, "without trusted_proxies_strict"},
		{`"trusted_proxies":{"source":"static","ranges":["0.0.0.0/0"]},"trusted_proxies_strict":1`, Warn, "trusts 0.0.0.0/0"},
		{`"trusted_proxies":{"source":"static","ranges":["::/0"]},"trusted_proxies_strict":1`, Warn, "trusts ::/0"},
		{`"trusted_proxies":{"source":"static","ranges":["128.0.0.0/1"]},"trusted_proxies_strict":1`, Warn, "any client there"},
	} {
		// trusted_proxies_strict is a bool in Caddy's JSON.
		raw := strings.ReplaceAll(serverCfg(`{"handler":"reverse_proxy"}`, tc.trusted), `"trusted_proxies_strict":1`, `"trusted_proxies_strict":true`)
		res := judgeTrustedProxies(parseCfg(t, raw))
		if res.Status != tc.status || !strings.Contains(res.Detail, tc.detail) {
			t.Errorf("%s: %s %q", tc.trusted, res.Status, res.Detail)
		}
	}
}

func TestJudgeOrigins(t *testing.T) {
	s, err := parseSite("https://chat.example.com")
	if err != nil {
		t.Fatal(err)
	}
	withOrigin := serverCfg(`{"handler":"ocomms_origin","allow":["https://app.example.com"]}`, "")
	for _, tc := range []struct {
		cfg, baURL, trusted string
		status              Status
		detail              string
	}{
		{serverCfg(`{"handler":"reverse_proxy"}`, ""), "", "", Warn, "no ocomms_origin"},
		{withOrigin, "", "", Pass, "https://chat.example.com, https://app.example.com"},
		{withOrigin, "https://chat.example.com", "", Pass, "allowed"},
		{withOrigin, "https://chat.example.com:443/api/auth", "https://app.example.com", Pass, "allowed"},
		{withOrigin, "http://localhost:3000", "", Warn, "neither the site's"},
		{withOrigin, "https://app.example.com", "", Warn, "is not the site's"},
		{withOrigin, "https://chat.example.com", "https://chat.example.com,https://other.example.com", Warn, "lists https://other.example.com"},
	} {
		res := judgeOrigins(parseCfg(t, tc.cfg), s, tc.baURL, tc.trusted)
		if res.Status != tc.status || !strings.Contains(res.Detail, tc.detail) || (res.Status == Warn && res.Fix == "") {
			t.Errorf("BETTER_AUTH_URL %q, trusted %q: %s %q", tc.baURL, tc.trusted, res.Status, res.Detail)
		}
	}
}

// TestCheckAccessReadsTheAdminAPI: the access group reads /config/ from
// the admin API and skips every check without one.
func TestCheckAccessReadsTheAdminAPI(t *testing.T) {
	admin := adminAPI(t, serverCfg(`{"handler":"ocomms_ip_allow","allow":["0.0.0.0/0"]},{"handler":"ocomms_origin"}`,
		`"trusted_proxies":{"source":"static","ranges":["10.0.0.0/8"]},"trusted_proxies_strict":true`))
	s, _ := parseSite("https://chat.example.com")
	opts := Options{URL: "https://chat.example.com", Admin: admin, BetterAuthURL: "https://chat.example.com"}.withDefaults()
	got := map[string]Status{}
	for _, r := range checkAccess(context.Background(), opts, s) {
		got[r.Name] = r.Status
	}
	if got["admin allowlist"] != Warn || got["trusted proxies"] != Pass || got["allowed origins"] != Pass {
		t.Fatalf("%v", got)
	}
	opts.Admin = ""
	for _, r := range checkAccess(context.Background(), opts, s) {
		if r.Status != Skip {
			t.Fatalf("%s without an admin API: %s", r.Name, r.Status)
		}
	}
}
