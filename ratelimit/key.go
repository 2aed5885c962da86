package ratelimit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// KeyHash identifies a client within a zone: 128 bits of an HMAC over the
// zone name and the key material. Stores never see the material itself (an
// email, an IP address).
type KeyHash [16]byte

// String returns the hash in hex, as used in Redis keys.
func (k KeyHash) String() string { return hex.EncodeToString(k[:]) }

// Hasher turns key material into KeyHashes with a secret, so that store
// contents cannot be matched against guessed emails or addresses.
// Instances sharing a Redis store must share the secret.
type Hasher struct {
	pool sync.Pool
}

// NewHasher returns a Hasher keyed with secret.
func NewHasher(secret []byte) *Hasher {
	key := append([]byte(nil), secret...)
	h := &Hasher{}
	h.pool.New = func() any { return hmac.New(sha256.New, key) }
	return h
}

// Sum hashes the zone name and the parts (each length-prefixed, so parts
// cannot run into each other).
func (h *Hasher) Sum(zone string, parts ...[]byte) KeyHash {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	var lenBuf [4]byte
	writePart := func(p []byte) {
		n := len(p)
		lenBuf[0], lenBuf[1], lenBuf[2], lenBuf[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		m.Write(lenBuf[:])
		m.Write(p)
	}
	writePart([]byte(zone))
	for _, p := range parts {
		writePart(p)
	}
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	h.pool.Put(m)
	var k KeyHash
	copy(k[:], sum[:])
	return k
}
