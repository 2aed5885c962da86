package ipallow

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestActionIDsFromManifest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "server-reference-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := ActionIDsFromManifest(raw, AdminActionNames())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"40a7c3e9f1d2b4a6c8e0f1a3b5c7d9e1f3a5b7c9d1"}) {
		t.Fatalf("ids %v", ids)
	}
	for _, bad := range []string{"", "[]", `{"encryptionKey":"k"}`} {
		if _, err := ActionIDsFromManifest([]byte(bad), AdminActionNames()); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "k\"") {
			t.Errorf("error echoes the manifest: %v", err)
		}
	}
}

// TestActionIDsMatchOnAnyPage: an admin action id posted to any page is
// administrative (Next.js forwards it to a worker that has it).
func TestActionIDsMatchOnAnyPage(t *testing.T) {
	c, err := Rules{ActionIDs: []string{"40a7c3"}}.compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path, id, kind string
	}{
		{"POST", "/acme/channels/general", "40a7c3", RuleServerAction},
		{"POST", "/", "40a7c3", RuleServerAction},
		{"POST", "/acme/channels/general", "7f0000", ""},
		{"GET", "/acme/channels/general", "40a7c3", ""},
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		r.Header.Set("Next-Action", tc.id)
		if kind, _ := c.match(r); kind != tc.kind {
			t.Errorf("%s %s %s: %q, want %q", tc.method, tc.path, tc.id, kind, tc.kind)
		}
	}
}
