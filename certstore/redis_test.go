package certstore

import (
	"crypto/rand"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// Helpers for the storage tests: the shared Redis on 6379 (never flushed:
// each test owns a unique prefix and deletes its keys), and a small Redis
// Cluster of test-owned redis-server processes.

// testPrefix returns a prefix no other test uses; every key under it (all
// share the {prefix} hash tag, so one node holds them) is deleted when the
// test ends.
func testPrefix(t testing.TB, c redis.UniversalClient) string {
	return testsupport.RedisTestPrefix(t, c, "certstoretest")
}

// startCluster starts a Redis Cluster of n masters the test owns and
// returns a cluster client of it.
func startCluster(t testing.TB, n int) *redis.ClusterClient {
	t.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: testsupport.StartRedisCluster(t, n), ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// newStore returns a store on c under a fresh test prefix.
func newStore(t testing.TB, c redis.UniversalClient, opts Options) *RedisStorage {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = testPrefix(t, c)
	}
	s, err := New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testKey returns a fresh random 32-byte key.
func testKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}
