package headers

import (
	"crypto/rand"
	"encoding/base64"
)

// NonceBytes is the number of random bytes in a nonce: 128 bits, the
// minimum CSP Level 3 recommends.
const NonceBytes = 16

// NewNonce returns a fresh nonce from the operating system's CSPRNG,
// base64url-encoded without padding (22 characters). The alphabet is the one
// Next.js accepts in getScriptNonceFromHeader.
func NewNonce() string {
	var raw [NonceBytes]byte
	// crypto/rand.Read never returns an error on supported platforms
	// (Go 1.24+ crashes the program instead of returning one).
	_, _ = rand.Read(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}
