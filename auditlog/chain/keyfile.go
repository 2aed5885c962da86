package chain

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreateSigningKey reads the Ed25519 checkpoint signing key from
// path (PEM, PKCS #8), or creates one there with mode 0600 (its directory
// 0700) when the file does not exist. A key file readable by group or
// others is refused: whoever reads it can forge checkpoints.
func LoadOrCreateSigningKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createSigningKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read audit signing key: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("stat audit signing key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("audit signing key %s has mode %v: must not be readable by group or others (chmod 600)", path, st.Mode().Perm())
	}
	return parseSigningKey(data)
}

func createSigningKey(path string) (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate audit signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode audit signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create audit signing key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create audit signing key: %w", err)
	}
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write audit signing key: %w", werr)
	}
	return key, nil
}

func parseSigningKey(data []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("audit signing key: not a PEM PRIVATE KEY")
	}
	return parseDER[ed25519.PrivateKey]("audit signing key", x509.ParsePKCS8PrivateKey, blk.Bytes)
}

// parseDER decodes der with parse and requires the Ed25519 key type K; its
// errors begin with what.
func parseDER[K ed25519.PrivateKey | ed25519.PublicKey](what string, parse func([]byte) (any, error), der []byte) (K, error) {
	k, err := parse(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	key, ok := k.(K)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", what)
	}
	return key, nil
}

// MarshalPublicKey encodes a checkpoint verification key as PEM (PKIX),
// the form `caddy ocomms audit verify --public-key` reads.
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode audit public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey reads a verification key as PEM (PKIX "PUBLIC KEY") or as
// the 32 raw bytes in standard base64.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if blk, _ := pem.Decode(data); blk != nil {
		return parseDER[ed25519.PublicKey]("audit public key", x509.ParsePKIXPublicKey, blk.Bytes)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("audit public key: neither PEM nor 32 bytes of base64")
	}
	return ed25519.PublicKey(raw), nil
}
