package headers

import (
	"encoding/base64"
	"regexp"
	"testing"
)

// nextNonce is the pattern Next.js accepts in getScriptNonceFromHeader.
var nextNonce = regexp.MustCompile(`^[A-Za-z0-9+/_-]+={0,2}$`)

func TestNewNonceIsUniqueAnd128Bits(t *testing.T) {
	const n = 10000
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		nonce := NewNonce()
		raw, err := base64.RawURLEncoding.DecodeString(nonce)
		if err != nil {
			t.Fatalf("nonce %q is not base64url: %v", nonce, err)
		}
		if len(raw)*8 < 128 {
			t.Fatalf("nonce %q has %d bits, want at least 128", nonce, len(raw)*8)
		}
		if !nextNonce.MatchString(nonce) {
			t.Fatalf("nonce %q would be ignored by Next.js", nonce)
		}
		seen[nonce] = struct{}{}
	}
	if len(seen) != n {
		t.Fatalf("%d requests gave %d distinct nonces", n, len(seen))
	}
}

func TestEveryRequestGetsItsOwnNonce(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		rw := p.Begin(newRecorder(), newRequest(t, "GET", "https://chat.example/"))
		if seen[rw.Nonce()] {
			t.Fatalf("nonce repeated after %d requests", i)
		}
		seen[rw.Nonce()] = true
	}
}
