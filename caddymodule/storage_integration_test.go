package caddymodule

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/redis/go-redis/v9"
)

// storageCaddyfile runs Caddy's internal CA on the ocomms_redis storage: the
// CA's root and the site certificate are written to, and served from,
// Redis. {GLOBAL} holds the storage's global options.
var storageCaddyfile = modtest.EdgeCaddyfile(`localhost {
	respond "stored in redis"
}
`, modtest.AdminAPI, modtest.LocalCerts, "{GLOBAL}")

// storageRedis returns a client of the shared Redis and a fresh prefix
// whose keys are deleted at test end, or skips as ServiceUnavailable.
func storageRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	c := testsupport.SharedRedis(t)
	return c, testsupport.RedisTestPrefix(t, c, "storagetest")
}

// storedFormats maps each stored key under prefix to its value format.
func storedFormats(t *testing.T, c *redis.Client, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.ZRange(ctx, "{"+prefix+"}/i", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		out[k] = c.HGet(ctx, "{"+prefix+"}/f/"+k, "f").Val()
	}
	return out
}

func TestStorageThroughCaddy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy")
	}
	cases := []struct {
		name, global string
		encrypted    bool
	}{
		{"own url, encrypted", `storage ocomms_redis redis://127.0.0.1:6379 {
		prefix {PREFIX}
		encryption_key {env.OCOMMS_TEST_STORAGE_KEY}
		lock_ttl 5s
	}`, true},
		{"ocomms option's redis", `ocomms {
		redis redis://127.0.0.1:6379
	}
	storage ocomms_redis {
		prefix {PREFIX}
	}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, prefix := storageRedis(t)
			key := make([]byte, 32)
			_, _ = rand.Read(key)
			t.Setenv("OCOMMS_TEST_STORAGE_KEY", base64.StdEncoding.EncodeToString(key))
			e := modtest.StartEdge(t, storageCaddyfile, "{GLOBAL}", strings.ReplaceAll(tc.global, "{PREFIX}", prefix))
			if strings.Contains(string(e.JSON), base64.StdEncoding.EncodeToString(key)) {
				t.Fatal("the encryption key is in the loaded JSON")
			}
			resp := e.Get(t, "/")
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "stored in redis" {
				t.Fatalf("GET / = %d %q", resp.StatusCode, body)
			}
			formats := storedFormats(t, c, prefix)
			want := "plain"
			if tc.encrypted {
				want = "aes256gcm1"
			}
			var sawRoot, sawSiteKey bool
			for k, f := range formats {
				if f != want {
					t.Errorf("%s stored as %q, want %q", k, f, want)
				}
				sawRoot = sawRoot || strings.HasPrefix(k, "pki/authorities/local/root.")
				sawSiteKey = sawSiteKey || (strings.HasPrefix(k, "certificates/local/localhost/") && strings.HasSuffix(k, ".key"))
			}
			if !sawRoot || !sawSiteKey {
				t.Errorf("Redis lacks the CA root or the site key; stored: %v", formats)
			}
		})
	}
}

// validateStorage provisions a config whose only part is the storage
// module, as `caddy validate` would, and returns the error.
func validateStorage(t *testing.T, storage map[string]any, apps map[string]any) error {
	t.Helper()
	storage["module"] = "ocomms_redis"
	raw, err := json.Marshal(storage)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &caddy.Config{StorageRaw: raw, Admin: &caddy.AdminConfig{Disabled: true}}
	if apps != nil {
		cfg.AppsRaw = caddy.ModuleMap{}
		for name, v := range apps {
			b, _ := json.Marshal(v)
			cfg.AppsRaw[name] = b
		}
	}
	return caddy.Validate(cfg)
}

// TestStorageProvisionErrors: bad settings are refused at provision time
// with a clear error that never contains the password or key.
func TestStorageProvisionErrors(t *testing.T) {
	t.Setenv("OCOMMS_TEST_BAD_KEY", "hunter2-not-a-key")
	t.Setenv("OCOMMS_TEST_EMPTY", "")
	cases := []struct {
		name    string
		storage map[string]any
		apps    map[string]any
		want    string
	}{
		{"plaintext off loopback", map[string]any{"url": "redis://:hunter2@10.1.2.3:6379"}, nil, "without TLS"},
		{"no url, no ocomms redis", map[string]any{}, nil, "no url, and the ocomms global option has no redis"},
		{"no url, ocomms without redis", map[string]any{}, map[string]any{"ocomms": map[string]any{}}, "no url, and the ocomms global option has no redis"},
		{"addrs without url", map[string]any{"addrs": []string{"127.0.0.1:7000"}}, nil, "need a url"},
		{"url placeholder empty", map[string]any{"url": "{env.OCOMMS_TEST_EMPTY}x"}, nil, "parsing the redis URL"},
		{"bad key", map[string]any{"url": "redis://127.0.0.1:6379", "encryption_key": "{env.OCOMMS_TEST_BAD_KEY}"}, nil, "encryption key"},
		{"key env unset", map[string]any{"url": "redis://127.0.0.1:6379", "encryption_key": "{env.OCOMMS_TEST_EMPTY}"}, nil, "encryption_key is empty"},
		{"short lock ttl", map[string]any{"url": "redis://127.0.0.1:6379", "lock_ttl": int64(time.Millisecond)}, nil, "lock TTL"},
		{"brace in prefix", map[string]any{"url": "redis://127.0.0.1:6379", "prefix": "a{b}"}, nil, "hash tag"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := validateStorage(t, tc.storage, tc.apps)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
	// And the good ones validate offline: no Redis is dialled.
	for name, storage := range map[string]map[string]any{
		"own url": {"url": "redis://127.0.0.1:1", "encryption_key": strings.Repeat("ab", 32)},
		"tls url": {"url": "rediss://redis.example:6380", "cluster": true},
	} {
		if err := validateStorage(t, storage, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := validateStorage(t, map[string]any{}, map[string]any{"ocomms": map[string]any{"redis": map[string]any{"url": "redis://127.0.0.1:1"}}}); err != nil {
		t.Errorf("ocomms redis: %v", err)
	}
}

// TestStorageSurvivesReload: after a reload the edge still issues into
// Redis (the second config's new site gets its certificate stored there),
// and the old config's storage released its reference to the pooled
// client: one reference is left, not a leak per reload.
func TestStorageSurvivesReload(t *testing.T) {
	e := modtest.NewEdge(t)
	c, prefix := storageRedis(t)
	global := "storage ocomms_redis redis://127.0.0.1:6379 {\n\t\tprefix " + prefix + "\n\t}"
	e.Load(t, storageCaddyfile, "{GLOBAL}", global)
	second := storageCaddyfile + "\nsecond.localhost {\n\trespond \"second\"\n}\n"
	e.Load(t, second, "{GLOBAL}", global)
	deadline := time.Now().Add(20 * time.Second)
	for {
		formats := storedFormats(t, c, prefix)
		var first, again bool
		for k := range formats {
			first = first || strings.HasPrefix(k, "certificates/local/localhost/")
			again = again || strings.HasPrefix(k, "certificates/local/second.localhost/")
		}
		if first && again {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after reload, Redis lacks a site's certificate: %v", formats)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cfg := modkit.RedisConfig{URL: "redis://127.0.0.1:6379"}
	if err := cfg.Provision(caddy.NewReplacer()); err != nil {
		t.Fatal(err)
	}
	if refs := cfg.References(); refs != 1 {
		t.Errorf("pooled client has %d references after one reload; want 1", refs)
	}
}

// TestStorageWrongKeyThroughCaddy: an edge started with a different
// encryption_key than the one that sealed the store does not quietly
// start over (a new CA, new certificates); it refuses to load with an
// error naming the cause, and no key material.
func TestStorageWrongKeyThroughCaddy(t *testing.T) {
	e := modtest.NewEdge(t)
	_, prefix := storageRedis(t)
	global := "storage ocomms_redis redis://127.0.0.1:6379 {\n\t\tprefix " + prefix + "\n\t\tencryption_key {env.OCOMMS_TEST_STORAGE_KEY}\n\t}"
	first, second := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(first)
	_, _ = rand.Read(second)
	t.Setenv("OCOMMS_TEST_STORAGE_KEY", hex.EncodeToString(first))
	e.Load(t, storageCaddyfile, "{GLOBAL}", global)
	resp := e.Get(t, "/")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET / with the first key = %d", resp.StatusCode)
	}
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}

	t.Setenv("OCOMMS_TEST_STORAGE_KEY", hex.EncodeToString(second))
	err := e.TryLoad(t, storageCaddyfile, "{GLOBAL}", global)
	t.Logf("refused: %v", err)
	if err == nil || !strings.Contains(err.Error(), "different encryption key") {
		t.Fatalf("loading with another key: %v; want a 'different encryption key' error", err)
	}
	for _, k := range [][]byte{first, second} {
		if strings.Contains(err.Error(), hex.EncodeToString(k)) || strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(k)) {
			t.Fatal("the error contains a key")
		}
	}
}
