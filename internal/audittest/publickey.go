package audittest

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
)

// PublicKeyFile writes the checkpoint verification key of the audit log in
// dir (whose signing key is dir/checkpoint.key) to a PEM file in a
// temporary folder of the test, for `ocomms audit verify --public-key`, and
// returns the file's path.
func PublicKeyFile(t testing.TB, dir string) string {
	t.Helper()
	key, err := chain.LoadOrCreateSigningKey(filepath.Join(dir, "checkpoint.key"))
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := chain.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "audit.pub")
	if err := os.WriteFile(pub, pemKey, 0o644); err != nil {
		t.Fatal(err)
	}
	return pub
}
