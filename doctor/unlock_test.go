package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGuardUnlockSettings(t *testing.T) {
	cfg := parseCfg(t, `{"apps":{"http":{"servers":{"a":{"routes":[{"handle":[
		{"handler":"subroute","routes":[{"handle":[{"handler":"ocomms_auth_guard"},{"handler":"reverse_proxy"}]}]},
		{"handler":"ocomms_auth_guard","unlock_url":"/reset"},
		{"handler":"ocomms_auth_guard","unlock_mode":"admin","unlock_url":"/ignored"},
		{"handler":"ocomms_auth_guard"}]}]}}}}}`)
	got := guardUnlockSettings(cfg)
	want := []unlockSetting{{"/forgot-password", "reset"}, {"/reset", "reset"}, {"", "admin"}}
	if len(got) != len(want) {
		t.Fatalf("%+v, want %+v", got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("%+v missing from %+v", w, got)
		}
	}
}

// TestCheckUnlockPage: only a 200 HTML page passes; a JSON 200, a 404 and
// a redirect elsewhere warn; an absolute unlock URL is fetched as given.
func TestCheckUnlockPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/reset":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<!doctype html>"))
		case "/api/reset":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{}"))
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	opts := Options{URL: srv.URL}.withDefaults()
	s, err := parseSite(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url    string
		status Status
		detail string
	}{
		{"/reset", Pass, "200 text/html"},
		{srv.URL + "/reset?x=1", Pass, "200 text/html"},
		{"/api/reset", Warn, "application/json (not a page)"},
		{"/nope", Warn, "404 (not a page)"},
		{"/moved", Warn, "302 /elsewhere (a redirect, not the reset page itself)"},
		{"ftp://x/", Warn, "is not a URL or path"},
	} {
		res := checkUnlockPage(context.Background(), opts, s, tc.url)
		if res.Status != tc.status || !strings.Contains(res.Detail, tc.detail) || (tc.status == Warn && res.Fix == "") {
			t.Errorf("%s: %s %q fix %q", tc.url, res.Status, res.Detail, res.Fix)
		}
	}
}

// TestCheckUnlockSkips: with no admin address and no --unlock-url the
// check cannot know the URL; --unlock-url alone is enough.
func TestCheckUnlockSkips(t *testing.T) {
	s, _ := parseSite("https://chat.example.test")
	res := checkUnlock(context.Background(), Options{}.withDefaults(), s)
	if len(res) != 1 || res[0].Status != Skip || !strings.Contains(res[0].Detail, "--unlock-url") {
		t.Fatalf("%+v", res)
	}
	if !looksLikeLogin("/auth/Sign-In") || looksLikeLogin("/forgot-password") {
		t.Fatal("looksLikeLogin")
	}
}
