package ipallow

import (
	"net/http/httptest"
	"testing"
)

func TestPresetOcommsMatches(t *testing.T) {
	rules, err := Preset("ocomms")
	if err != nil {
		t.Fatal(err)
	}
	c, err := rules.compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, target, action, kind string
	}{
		{"POST", "/api/admin/export", "", RulePath},
		{"GET", "/api/admin/audit-logs?from=1", "", RulePath},
		{"GET", "/api/admin", "", RulePath},
		{"GET", "/API/Admin/export", "", RulePath},
		{"GET", "/api//admin/export", "", RulePath},
		{"GET", "/api/./admin/export", "", RulePath},
		{"GET", "/x/../api/admin/export", "", RulePath},
		{"GET", "/api/%61dmin/export", "", RulePath},
		{"GET", "/api%2Fadmin/export", "", RulePath},
		{"GET", "/api\\admin/export", "", RulePath},
		{"POST", "/api/auth/admin/ban-user", "", RulePath},
		{"POST", "/acme/settings/members", "7f3a9c", RuleServerAction},
		{"POST", "/acme/settings/members/", "7f3a9c", RuleServerAction},
		{"POST", "/acme/Settings/Admin", "7f3a9c", RuleServerAction},
		{"POST", "/acme//settings/members", "7f3a9c", RuleServerAction},
		// Not administrative.
		{"GET", "/api/administrators", "", ""},
		{"GET", "/api/adminx", "", ""},
		{"POST", "/api/auth/sign-in/email", "", ""},
		{"POST", "/api/auth/organization/update-member-role", "", ""},
		{"GET", "/acme/settings/members", "", ""},
		// A form POST can name an action without Next-Action.
		{"POST", "/acme/settings/members", "", RuleServerAction},
		{"PUT", "/acme/settings/admin/x", "", RuleServerAction},
		{"HEAD", "/acme/settings/members", "", ""},
		{"OPTIONS", "/acme/settings/members", "", ""},
		{"GET", "/acme/settings/members", "7f3a9c", ""},
		{"POST", "/acme/settings/profile", "", ""},
		{"POST", "/acme/settings", "7f3a9c", ""},
		{"POST", "/acme/settings/profile", "7f3a9c", ""},
		{"POST", "/acme/channels/general", "7f3a9c", ""},
		{"POST", "/settings/members", "7f3a9c", ""},
		{"GET", "/socket.io/?EIO=4&transport=polling", "", ""},
	} {
		r := httptest.NewRequest(tc.method, "http://edge"+tc.target, nil)
		if tc.action != "" {
			r.Header.Set("Next-Action", tc.action)
		}
		if kind, _ := c.match(r); kind != tc.kind {
			t.Errorf("%s %s (Next-Action %q): rule %q, want %q", tc.method, tc.target, tc.action, kind, tc.kind)
		}
	}
}

func TestEmptyRulesMatchEverything(t *testing.T) {
	c, err := Rules{}.compile()
	if err != nil {
		t.Fatal(err)
	}
	if kind, _ := c.match(httptest.NewRequest("GET", "/anything", nil)); kind != RuleAll {
		t.Fatalf("kind %q", kind)
	}
}

func TestRulesValidate(t *testing.T) {
	for _, r := range []Rules{{Paths: []string{"api/admin"}}, {Paths: []string{"/"}}, {ActionPages: []string{"settings*"}}} {
		if _, err := r.compile(); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
	if _, err := Preset("nginx"); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestPageMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/*/settings/members*", "/a/settings/members", true},
		{"/*/settings/members*", "/a/settings/members-x/y", true},
		{"/*/settings/members*", "/a/settings/member", false},
		{"/*/settings/members*", "/a/b/settings/members", false},
		{"/admin", "/admin", true},
		{"/admin", "/admin/x", false},
		{"/*", "/x", true},
		{"/*", "/", false},
		{"/*", "/x/y", false},
	} {
		c, err := Rules{ActionPages: []string{tc.pattern}}.compile()
		if err != nil {
			t.Fatal(err)
		}
		if got := pageMatch(c.pages[0], tc.path); got != tc.want {
			t.Errorf("pageMatch(%s, %s) = %v", tc.pattern, tc.path, got)
		}
	}
}
