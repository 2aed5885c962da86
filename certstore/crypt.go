package certstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Value formats, stored in each file's "f" field so that plaintext and
// encrypted values can never be confused.
const (
	formatPlain     = "plain"
	formatAESGCMv1  = "aes256gcm1"
	aadContextLabel = "ocomms-certstore/v1 key="
	keyIDLabel      = "ocomms-certstore key id"
)

// Errors returned (wrapped) by Load when a value cannot be opened.
var (
	// ErrNoKey: the value is encrypted but the store has no key.
	ErrNoKey = errors.New("value is encrypted but no encryption key is configured")
	// ErrWrongKey: the value was encrypted with a different key.
	ErrWrongKey = errors.New("value was encrypted with a different encryption key")
	// ErrTampered: the value failed GCM authentication under the right
	// key: it was modified, truncated or moved from another key.
	ErrTampered = errors.New("encrypted value failed authentication: it was modified, corrupted or moved from another key")
	// ErrUnencrypted: the store has a key but the value is plaintext.
	// Refused so that a party able to write to Redis cannot plant values.
	ErrUnencrypted = errors.New("value is stored unencrypted but an encryption key is configured")
	// ErrFormat: the stored record is not one this package writes.
	ErrFormat = errors.New("stored record has an unknown format")
)

// sealer encrypts and decrypts values with AES-256-GCM. The nonce is
// random per value (96 bits; a store holds far fewer than 2^32 values per
// key), the additional data binds each value to its storage key.
type sealer struct {
	aead  cipher.AEAD
	keyID string
}

func newSealer(key []byte) (*sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("creating the AES cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating the GCM mode: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(keyIDLabel))
	return &sealer{aead: aead, keyID: hex.EncodeToString(mac.Sum(nil)[:8])}, nil
}

// String hides the key from any log or dump.
func (s *sealer) String() string { return "aes-256-gcm key " + s.keyID }

// GoString hides the key from %#v.
func (s *sealer) GoString() string { return s.String() }

func aad(key string) []byte { return []byte(aadContextLabel + key) }

// seal returns nonce || ciphertext || tag.
func (s *sealer) seal(key string, plain []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("reading a random nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, aad(key)), nil
}

// open reverses seal; keyID is the id stored beside the value.
func (s *sealer) open(key, keyID string, sealed []byte) ([]byte, error) {
	if keyID != s.keyID {
		return nil, fmt.Errorf("%w (value key id %q, configured key id %q)", ErrWrongKey, keyID, s.keyID)
	}
	if len(sealed) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrTampered
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad(key))
	if err != nil {
		return nil, ErrTampered
	}
	return plain, nil
}
