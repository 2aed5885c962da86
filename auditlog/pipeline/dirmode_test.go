package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/internal/diskio"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
)

// An existing audit directory open to group or others (0755, as mkdir
// leaves it) is tightened to 0700 when the JSONL store and the spool open.
func TestAuditDirectoriesAreTightened(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	spool := filepath.Join(dir, "spool")
	if err := os.MkdirAll(spool, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	jl := openJSONL(t, dir)
	p, err := NewPipeline(Config{Instance: "edge-mode", SpoolDir: spool, SigningKey: logtest.TestKey(t), Sinks: []Sink{jl}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.crash()
	for _, d := range []string{dir, spool} {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o700 {
			t.Errorf("%s has mode %v after open, want 0700", d, got)
		}
	}
}

// A directory that cannot be tightened (here: not a directory at all, the
// same path as a file) is refused with a message naming it.
func TestPrivateDirRefusesWhatItCannotFix(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := diskio.PrivateDir(f); err == nil {
		t.Fatal("a file accepted as the audit directory")
	}
}
