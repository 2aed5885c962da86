package certstore

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// FuzzParseKey: any input either decodes to exactly 32 bytes or is
// refused with an error that does not echo it.
func FuzzParseKey(f *testing.F) {
	f.Add("abababababababababababababababababababababababababababababababab")
	f.Add("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=")
	f.Add("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s")
	f.Add("")
	f.Add("====")
	f.Fuzz(func(t *testing.T, in string) {
		key, err := ParseKey(in)
		if err == nil {
			if len(key) != KeySize {
				t.Fatalf("accepted %q as %d bytes", in, len(key))
			}
			return
		}
		if trimmed := strings.TrimSpace(in); len(trimmed) >= 4 && strings.Contains(err.Error(), trimmed) {
			t.Fatalf("error %q echoes the input", err)
		}
	})
}

// FuzzOpenRecord: a record read from Redis (format, key id, value, all
// writable by anyone with Redis access) never panics the store, and under
// a key nothing opens but what this store sealed for that very key.
func FuzzOpenRecord(f *testing.F) {
	key := bytes.Repeat([]byte{7}, KeySize)
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer c.Close()
	enc, err := New(c, Options{EncryptionKey: key})
	if err != nil {
		f.Fatal(err)
	}
	plain, err := New(c, Options{})
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := enc.seal.seal("certificates/a.key", []byte("private"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("certificates/a.key", formatAESGCMv1, enc.seal.keyID, bytes.Clone(sealed))
	f.Add("certificates/a.key", formatPlain, "", []byte("private"))
	f.Add("x", "", "", []byte{})
	f.Add("x", formatAESGCMv1, "", []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, k, format, keyID string, value []byte) {
		got, err := enc.open(k, format, keyID, value)
		if err == nil {
			// Only a genuine seal opens: the seed, sealed for this key
			// name (fuzz workers seal their own, with another nonce).
			if k != "certificates/a.key" || format != formatAESGCMv1 || keyID != enc.seal.keyID || string(got) != "private" {
				t.Fatalf("opened a record this store did not seal: %q %q %q -> %q", k, format, keyID, got)
			}
		}
		got, err = plain.open(k, format, keyID, value)
		if err == nil && (format != formatPlain || !bytes.Equal(got, value)) {
			t.Fatalf("plaintext store opened %q record as %q", format, got)
		}
	})
}
