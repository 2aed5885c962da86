package certstore

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// TestStorageStandalone runs the storage conformance suite on the shared
// Redis.
func TestStorageStandalone(t *testing.T) {
	c := testsupport.SharedRedis(t)
	conformance(t, func(t *testing.T, opts Options) *RedisStorage { return newStore(t, c, opts) })
}

// TestStorageCluster runs the same suite on a 3-master Redis Cluster: the
// hash tag keeps each store in one slot, so its transactions are legal.
func TestStorageCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	c := startCluster(t, 3)
	conformance(t, func(t *testing.T, opts Options) *RedisStorage { return newStore(t, c, opts) })
}

// conformance checks every Storage method against what certmagic expects of
// a storage (the contract in certmagic v0.25.6 storage.go and the behaviour
// of its FileStorage), in plaintext and encrypted.
func conformance(t *testing.T, mk func(*testing.T, Options) *RedisStorage) {
	for _, enc := range []bool{false, true} {
		name := "plaintext"
		if enc {
			name = "encrypted"
		}
		t.Run(name, func(t *testing.T) {
			newS := func(t *testing.T) *RedisStorage {
				var opts Options
				if enc {
					opts.EncryptionKey = testKey(t)
				}
				return mk(t, opts)
			}
			t.Run("StoreLoadOverwrite", func(t *testing.T) { testStoreLoad(t, newS(t)) })
			t.Run("Missing", func(t *testing.T) { testMissing(t, newS(t)) })
			t.Run("List", func(t *testing.T) { testList(t, newS(t)) })
			t.Run("Stat", func(t *testing.T) { testStat(t, newS(t)) })
			t.Run("Delete", func(t *testing.T) { testDelete(t, newS(t)) })
			t.Run("Prefixes", func(t *testing.T) { testPrefixes(t, newS(t), mk) })
		})
	}
}

var ctx = context.Background()

func mustStore(t *testing.T, s *RedisStorage, key string, value []byte) {
	t.Helper()
	if err := s.Store(ctx, key, value); err != nil {
		t.Fatalf("Store(%q): %v", key, err)
	}
}

func testStoreLoad(t *testing.T, s *RedisStorage) {
	binary := []byte{0, 1, 2, 0xff, '\n', 0}
	mustStore(t, s, "certificates/acme/example.com/example.com.crt", []byte("-----BEGIN CERTIFICATE-----"))
	mustStore(t, s, "bin", binary)
	mustStore(t, s, "empty", []byte{})
	for key, want := range map[string][]byte{
		"certificates/acme/example.com/example.com.crt": []byte("-----BEGIN CERTIFICATE-----"),
		"bin":   binary,
		"empty": {},
	} {
		got, err := s.Load(ctx, key)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Load(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
	mustStore(t, s, "bin", []byte("second"))
	if got, err := s.Load(ctx, "bin"); err != nil || string(got) != "second" {
		t.Errorf("Load after overwrite = %q, %v; want second", got, err)
	}
	if !s.Exists(ctx, "bin") || !s.Exists(ctx, "empty") {
		t.Error("Exists is false for stored keys")
	}
	if err := s.Store(ctx, "", []byte("x")); err == nil {
		t.Error("Store with an empty key succeeded")
	}
}

func testMissing(t *testing.T, s *RedisStorage) {
	if _, err := s.Load(ctx, "nope/none.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing key: %v, want fs.ErrNotExist", err)
	}
	if _, err := s.Stat(ctx, "nope/none.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a missing key: %v, want fs.ErrNotExist", err)
	}
	if _, err := s.List(ctx, "nope", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing directory: %v, want fs.ErrNotExist", err)
	}
	if s.Exists(ctx, "nope") {
		t.Error("Exists of a missing key is true")
	}
	// certmagic v0.25.6: "It is not an error if the key does not exist".
	if err := s.Delete(ctx, "nope/none.crt"); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}
	// An empty store's root is empty, not missing.
	if got, err := s.List(ctx, "", true); err != nil || len(got) != 0 {
		t.Errorf("List of an empty root = %q, %v", got, err)
	}
}

// tree is the layout the list tests use; a real certmagic layout plus a
// key that shares a name prefix ("acme-x") with a directory ("acme").
var tree = []string{
	"certificates/acme/a.test/a.test.crt",
	"certificates/acme/a.test/a.test.key",
	"certificates/acme/a.test/a.test.json",
	"certificates/acme/b.test/b.test.crt",
	"certificates/acme-x/c.test/c.test.crt",
	"certificates/acme.json",
	"acme/ca/users/u@example.com/u.json",
	"last_clean.json",
}

func storeTree(t *testing.T, s *RedisStorage) {
	for _, k := range tree {
		mustStore(t, s, k, []byte("v:"+k))
	}
}

func testList(t *testing.T, s *RedisStorage) {
	storeTree(t, s)
	cases := []struct {
		dir       string
		recursive bool
		want      []string
	}{
		{"certificates", false, []string{"certificates/acme", "certificates/acme-x", "certificates/acme.json"}},
		{"certificates/acme", false, []string{"certificates/acme/a.test", "certificates/acme/b.test"}},
		{"certificates/acme/a.test", false, []string{"certificates/acme/a.test/a.test.crt", "certificates/acme/a.test/a.test.json", "certificates/acme/a.test/a.test.key"}},
		{"certificates/acme", true, []string{
			"certificates/acme/a.test",
			"certificates/acme/a.test/a.test.crt",
			"certificates/acme/a.test/a.test.json",
			"certificates/acme/a.test/a.test.key",
			"certificates/acme/b.test",
			"certificates/acme/b.test/b.test.crt",
		}},
		{"", false, []string{"acme", "certificates", "last_clean.json"}},
		{"/certificates/", false, []string{"certificates/acme", "certificates/acme-x", "certificates/acme.json"}},
		{"last_clean.json", false, []string{}},
	}
	for _, c := range cases {
		got, err := s.List(ctx, c.dir, c.recursive)
		if err != nil {
			t.Errorf("List(%q, %v): %v", c.dir, c.recursive, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("List(%q, %v) =\n %q\nwant\n %q", c.dir, c.recursive, got, c.want)
		}
	}
	all, err := s.List(ctx, "", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range tree {
		if !slices.Contains(all, k) {
			t.Errorf("recursive root listing lacks %q", k)
		}
	}
	if !slices.Contains(all, "acme/ca/users/u@example.com") {
		t.Error("recursive root listing lacks the implied directory acme/ca/users/u@example.com")
	}
}

func testStat(t *testing.T, s *RedisStorage) {
	before := time.Now()
	mustStore(t, s, "certificates/acme/a.test/a.test.crt", []byte("12345"))
	after := time.Now()
	info, err := s.Stat(ctx, "certificates/acme/a.test/a.test.crt")
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "certificates/acme/a.test/a.test.crt" || !info.IsTerminal || info.Size != 5 {
		t.Errorf("Stat of a file = %+v; want the key, terminal, size 5 (the plaintext size even when encrypted)", info)
	}
	if info.Modified.Before(before.Add(-time.Millisecond)) || info.Modified.After(after.Add(time.Millisecond)) {
		t.Errorf("Modified %s not within the Store call [%s, %s]", info.Modified, before, after)
	}
	for _, dir := range []string{"certificates", "certificates/acme", "certificates/acme/a.test"} {
		info, err := s.Stat(ctx, dir)
		if err != nil || info.IsTerminal || info.Key != dir {
			t.Errorf("Stat(%q) = %+v, %v; want a directory", dir, info, err)
		}
		if !s.Exists(ctx, dir) {
			t.Errorf("Exists(%q) is false for an implied directory", dir)
		}
	}
	// "certificates/acm" is a name prefix of a directory, not a directory.
	if _, err := s.Stat(ctx, "certificates/acm"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a partial component: %v, want fs.ErrNotExist", err)
	}
}

func testDelete(t *testing.T, s *RedisStorage) {
	storeTree(t, s)
	if err := s.Delete(ctx, "certificates/acme/a.test/a.test.key"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "certificates/acme/a.test/a.test.key"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load after Delete: %v, want fs.ErrNotExist", err)
	}
	// A directory goes with everything under it, and nothing else.
	if err := s.Delete(ctx, "certificates/acme"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"certificates/acme", "certificates/acme/a.test", "certificates/acme/b.test/b.test.crt"} {
		if s.Exists(ctx, k) {
			t.Errorf("%q exists after deleting its directory", k)
		}
	}
	for _, k := range []string{"certificates/acme-x/c.test/c.test.crt", "certificates/acme.json", "last_clean.json"} {
		if got, err := s.Load(ctx, k); err != nil || string(got) != "v:"+k {
			t.Errorf("%q = %q, %v after deleting a sibling directory", k, got, err)
		}
	}
	if got, err := s.List(ctx, "certificates", false); err != nil || !slices.Equal(got, []string{"certificates/acme-x", "certificates/acme.json"}) {
		t.Errorf("List after Delete = %q, %v", got, err)
	}
	// Deleting the root empties the store.
	if err := s.Delete(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := s.List(ctx, "", true); err != nil || len(got) != 0 {
		t.Errorf("List after deleting the root = %q, %v", got, err)
	}
}

// testPrefixes: two stores with different prefixes on one Redis do not
// see each other's keys.
func testPrefixes(t *testing.T, s *RedisStorage, mk func(*testing.T, Options) *RedisStorage) {
	other := mk(t, Options{})
	mustStore(t, s, "certificates/x", []byte("s"))
	if other.Exists(ctx, "certificates/x") || other.Exists(ctx, "certificates") {
		t.Error("a store sees a key stored under another prefix")
	}
}

// TestStoredRecordIsSealed reads the raw record in Redis: with a key the
// value is not there in clear text and is marked as AES-256-GCM; without
// one it is marked plain.
func TestStoredRecordIsSealed(t *testing.T) {
	c := testsupport.SharedRedis(t)
	secret := []byte("-----BEGIN EC PRIVATE KEY----- secret")
	enc := newStore(t, c, Options{EncryptionKey: testKey(t)})
	plain := newStore(t, c, Options{})
	mustStore(t, enc, "k", secret)
	mustStore(t, plain, "k", secret)
	raw := func(s *RedisStorage) map[string]string {
		m, err := c.HGetAll(ctx, s.fileKey("k")).Result()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	e, p := raw(enc), raw(plain)
	if e["f"] != formatAESGCMv1 || bytes.Contains([]byte(e["v"]), []byte("PRIVATE KEY")) || e["k"] == "" {
		t.Errorf("encrypted record = %q; want format %s, no clear text, a key id", e, formatAESGCMv1)
	}
	if p["f"] != formatPlain || p["v"] != string(secret) {
		t.Errorf("plaintext record = %q", p)
	}
}

// TestEncryptionErrors: a wrong key, no key, a tampered value, a value
// moved to another key and a plaintext value under a key are all refused
// with distinct errors, none of them ErrNotExist.
func TestEncryptionErrors(t *testing.T) {
	c := testsupport.SharedRedis(t)
	prefix := testPrefix(t, c)
	key := testKey(t)
	s := newStore(t, c, Options{Prefix: prefix, EncryptionKey: key})
	mustStore(t, s, "certificates/a.key", []byte("private"))
	if got, err := s.Load(ctx, "certificates/a.key"); err != nil || string(got) != "private" {
		t.Fatalf("round trip = %q, %v", got, err)
	}

	check := func(name string, s *RedisStorage, k string, want error) {
		t.Helper()
		got, err := s.Load(ctx, k)
		if !errors.Is(err, want) || errors.Is(err, fs.ErrNotExist) || got != nil {
			t.Errorf("%s: Load = %q, %v; want %v", name, got, err, want)
		}
	}
	wrong := newStore(t, c, Options{Prefix: prefix, EncryptionKey: testKey(t)})
	check("wrong key", wrong, "certificates/a.key", ErrWrongKey)
	none := newStore(t, c, Options{Prefix: prefix})
	check("no key", none, "certificates/a.key", ErrNoKey)

	fk := s.fileKey("certificates/a.key")
	v, err := c.HGet(ctx, fk, "v").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Moving a sealed value to another key is detected (the key is AAD).
	if err := c.HSet(ctx, s.fileKey("certificates/b.key"), map[string]any{"f": formatAESGCMv1, "v": v, "k": s.seal.keyID, "n": "7"}).Err(); err != nil {
		t.Fatal(err)
	}
	check("moved value", s, "certificates/b.key", ErrTampered)
	// One flipped bit anywhere: nonce, ciphertext or tag.
	for _, i := range []int{0, 12, len(v) - 1} {
		bad := bytes.Clone(v)
		bad[i] ^= 1
		if err := c.HSet(ctx, fk, "v", bad).Err(); err != nil {
			t.Fatal(err)
		}
		check("flipped bit", s, "certificates/a.key", ErrTampered)
	}
	if err := c.HSet(ctx, fk, "v", v[:10]).Err(); err != nil {
		t.Fatal(err)
	}
	check("truncated", s, "certificates/a.key", ErrTampered)

	mustStore(t, none, "certificates/plain.key", []byte("planted"))
	check("plaintext under a key", s, "certificates/plain.key", ErrUnencrypted)
	if err := c.HSet(ctx, fk, "f", "rot13").Err(); err != nil {
		t.Fatal(err)
	}
	check("unknown format", s, "certificates/a.key", ErrFormat)

	// No error message carries key material.
	_, err = wrong.Load(ctx, "certificates/b.key")
	for _, secret := range [][]byte{key} {
		if bytes.Contains([]byte(err.Error()), secret) {
			t.Error("error contains the key")
		}
	}
	if str := s.String(); bytes.Contains([]byte(str), key) || str != "ocomms_redis:"+prefix+" (aes-256-gcm key "+s.seal.keyID+")" {
		t.Errorf("String() = %q", str)
	}
}

// TestParseKey accepts hex and base64 of 32 bytes only, with errors that
// do not echo the input.
func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 32)
	for _, in := range []string{
		"abababababababababababababababababababababababababababababababab",
		"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s",
		" q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
	} {
		got, err := ParseKey(in)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("ParseKey(%q) = %x, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "short", "c2hvcnQ=", "zz" + string(bytes.Repeat([]byte("a"), 62))} {
		_, err := ParseKey(in)
		if err == nil {
			t.Errorf("ParseKey(%q) accepted", in)
			continue
		}
		if in != "" && bytes.Contains([]byte(err.Error()), []byte(in)) {
			t.Errorf("ParseKey error %q echoes the input", err)
		}
	}
}

// TestOptions rejects prefixes that would break the hash tag, short TTLs
// and keys of the wrong size.
func TestOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: testsupport.SharedRedisAddr})
	defer c.Close()
	for _, o := range []Options{
		{Prefix: "a{b"},
		{Prefix: "a}b"},
		{LockTTL: 10 * time.Millisecond},
		{EncryptionKey: make([]byte, 16)},
	} {
		if _, err := New(c, o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	s, err := New(c, Options{})
	if err != nil || s.Prefix() != DefaultPrefix || s.LockTTL() != DefaultLockTTL {
		t.Errorf("defaults: %v %q %s", err, s.Prefix(), s.LockTTL())
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) accepted")
	}
}
