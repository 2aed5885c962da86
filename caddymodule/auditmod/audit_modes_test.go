package auditmod_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
)

// Through Caddy: a signing key readable by others stops the edge with the
// fix named; an audit directory left 0755 (as mkdir makes it) is
// tightened to 0700, and so is its spool directory.
func TestAuditFileModesThroughCaddy(t *testing.T) {
	e := newAuditEdge(t)
	dir := filepath.Join(e.Dir, "audit")
	if err := os.MkdirAll(filepath.Join(dir, "spool"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "spool")} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	key := filepath.Join(dir, "checkpoint.key")
	if _, err := chain.LoadOrCreateSigningKey(key); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	args := e.upstreamArgs()
	if err := e.TryLoad(t, auditCaddyfile, args...); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a 0644 signing key: load error %v, want one naming chmod 600", err)
	}
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	e.Load(t, auditCaddyfile, args...)
	for _, d := range []string{dir, filepath.Join(dir, "spool")} {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("%s has mode %v with the edge running, want 0700", d, st.Mode().Perm())
		}
	}
}
