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
	h.pool.New = func() any { return &hasherState{mac: hmac.New(sha256.New, key)} }
	return h
}

// hasherState is a pooled HMAC with the buffers a Sum needs, so that a
// Sum allocates nothing.
type hasherState struct {
	mac hash.Hash
	msg []byte
	sum [sha256.Size]byte
}

// Sum hashes the zone name and the parts (each length-prefixed, so parts
// cannot run into each other).
func (h *Hasher) Sum(zone string, parts ...[]byte) KeyHash {
	st := h.pool.Get().(*hasherState)
	msg := appendPart(st.msg[:0], zone)
	for _, p := range parts {
		msg = appendPart(msg, p)
	}
	st.mac.Reset()
	st.mac.Write(msg)
	st.mac.Sum(st.sum[:0])
	var k KeyHash
	copy(k[:], st.sum[:])
	if cap(msg) <= 4<<10 {
		st.msg = msg
	}
	h.pool.Put(st)
	return k
}

// appendPart appends p with its length (4 bytes, big-endian) in front.
func appendPart[T string | []byte](msg []byte, p T) []byte {
	n := len(p)
	msg = append(msg, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	return append(msg, p...)
}
