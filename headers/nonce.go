package headers

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
)

// NonceBytes is the number of random bytes in a nonce: 128 bits, the
// minimum CSP Level 3 recommends.
const NonceBytes = 16

// NonceLen is the length of an encoded nonce: NonceBytes in base64url
// without padding.
const NonceLen = (NonceBytes*8 + 5) / 6

// nonceBatch is how many random bytes one read from the CSPRNG fetches:
// 256 nonces per call into crypto/rand instead of one.
const nonceBatch = 4096

// nonceBuf is a batch of CSPRNG output handed out NonceBytes at a time.
// A buffer is owned by one goroutine between noncePool.Get and Put, so no
// byte is handed out twice; handed-out bytes are zeroed at once.
type nonceBuf struct {
	b   [nonceBatch]byte
	off int // first byte not yet handed out
}

// noncePool keeps one batch per P in the common case. When the GC drops a
// pooled buffer its unused bytes are simply never used. One caveat of
// reading ahead: a VM restored twice from one memory snapshot would hand
// out the rest of each pooled batch (at most 255 nonces per P) in both
// copies, where crypto/rand itself reseeds; the kernel's own state has the
// same exposure on kernels without VM-generation reseeding.
var noncePool = sync.Pool{New: func() any { return &nonceBuf{off: nonceBatch} }}

// readNonce fills raw with NonceBytes fresh bytes from crypto/rand (read
// ahead in batches of nonceBatch). Every byte comes from the CSPRNG and is
// used once.
func readNonce(raw *[NonceBytes]byte) {
	nb := noncePool.Get().(*nonceBuf)
	if nb.off+NonceBytes > nonceBatch {
		// crypto/rand.Read never returns an error on supported platforms
		// (Go 1.24+ crashes the program instead of returning one).
		_, _ = rand.Read(nb.b[:])
		nb.off = 0
	}
	chunk := nb.b[nb.off : nb.off+NonceBytes]
	copy(raw[:], chunk)
	clear(chunk)
	nb.off += NonceBytes
	noncePool.Put(nb)
}

// encodeNonce writes a fresh nonce, base64url-encoded without padding, into
// dst.
func encodeNonce(dst *[NonceLen]byte) {
	var raw [NonceBytes]byte
	readNonce(&raw)
	base64.RawURLEncoding.Encode(dst[:], raw[:])
	clear(raw[:])
}

// NewNonce returns a fresh nonce from the operating system's CSPRNG,
// base64url-encoded without padding (22 characters). The alphabet is the one
// Next.js accepts in getScriptNonceFromHeader.
func NewNonce() string {
	var enc [NonceLen]byte
	encodeNonce(&enc)
	return string(enc[:])
}
