package caddymodule

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// TestIPAllowAndOriginDocsAdapt: every ```caddyfile example of
// docs/ip-allow.md and docs/origin.md adapts as `caddy adapt` would, with
// the environment variables they read both unset and set.
func TestIPAllowAndOriginDocsAdapt(t *testing.T) {
	for _, env := range [][2]string{{"", ""}, {"10.0.0.0/8, 2001:db8::/32", "https://app.example.com,tauri://localhost"}} {
		t.Setenv("OCOMMS_ADMIN_ALLOW", env[0])
		t.Setenv("OCOMMS_ALLOWED_ORIGINS", env[1])
		for _, doc := range []string{"ip-allow.md", "origin.md"} {
			raw, err := os.ReadFile(filepath.Join("..", "docs", doc))
			if err != nil {
				t.Fatal(err)
			}
			blocks, lines, err := caddyfileBlocks(string(raw))
			if err != nil {
				t.Fatalf("%s: %v", doc, err)
			}
			if len(blocks) < 2 {
				t.Fatalf("%s: %d caddyfile examples", doc, len(blocks))
			}
			for i, b := range blocks {
				if _, err := edgetest.AdaptRaw(b); err != nil {
					t.Errorf("%s: the example at line %d does not adapt (env %q): %v", doc, lines[i], env, err)
				}
			}
		}
	}
}
