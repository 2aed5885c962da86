package certstore

import (
	"bytes"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// BenchmarkStoreLoad stores and loads a 4 KiB value (a certificate chain)
// on the shared Redis, plaintext and sealed, to show what encryption adds
// next to the network round trips.
func BenchmarkStoreLoad(b *testing.B) {
	c := testsupport.SharedRedis(b)
	value := bytes.Repeat([]byte("x"), 4096)
	for _, enc := range []bool{false, true} {
		name := "plaintext"
		var opts Options
		if enc {
			name, opts.EncryptionKey = "aes256gcm", testKey(b)
		}
		b.Run(name, func(b *testing.B) {
			s := newStore(b, c, opts)
			b.SetBytes(int64(len(value)))
			for b.Loop() {
				if err := s.Store(ctx, "certificates/acme/a.test/a.test.crt", value); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Load(ctx, "certificates/acme/a.test/a.test.crt"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLockUnlock is one uncontended Lock and Unlock (SET NX PX, the
// refresher's start and stop, the compare-and-delete script).
func BenchmarkLockUnlock(b *testing.B) {
	c := testsupport.SharedRedis(b)
	s := newStore(b, c, Options{})
	for b.Loop() {
		if err := s.Lock(ctx, "issue_cert_a.test"); err != nil {
			b.Fatal(err)
		}
		if err := s.Unlock(ctx, "issue_cert_a.test"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList lists a 200-certificate store's certificates directory
// (800 files) non-recursively.
func BenchmarkList(b *testing.B) {
	c := testsupport.SharedRedis(b)
	s := newStore(b, c, Options{})
	for i := range 200 {
		for _, ext := range []string{".crt", ".key", ".json", ".ari"} {
			name := "certificates/acme/site" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".test"
			if err := s.Store(ctx, name+"/x"+ext, []byte("v")); err != nil {
				b.Fatal(err)
			}
		}
	}
	for b.Loop() {
		got, err := s.List(ctx, "certificates/acme", false)
		if err != nil || len(got) != 200 {
			b.Fatalf("List = %d, %v", len(got), err)
		}
	}
}
