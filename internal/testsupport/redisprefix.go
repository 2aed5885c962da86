package testsupport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisTestPrefix returns a key prefix no other test uses,
// "ocomms:<label>:<16 hex digits>", and deletes, when the test ends,
// every key that contains it on c (on every master of a Cluster), so a
// test on the shared Redis, which is never flushed, leaves nothing
// behind whether its keys start with the prefix or wrap it in a {hash
// tag}.
func RedisTestPrefix(t testing.TB, c redis.UniversalClient, label string) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "ocomms:" + label + ":" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := ForEachRedisKey(t, ctx, c, "*"+prefix+"*", func(ctx context.Context, n *redis.Client, key string) {
			n.Del(ctx, key)
		})
		if err != nil {
			t.Logf("deleting the test's Redis keys: %v", err)
		}
	})
	return prefix
}

// ForEachRedisKey calls fn with each key matching pattern on c (on every
// master of a Cluster, on several goroutines at once) and the node
// holding it. A client other than a *redis.Client or a
// *redis.ClusterClient fails the test.
func ForEachRedisKey(t testing.TB, ctx context.Context, c redis.UniversalClient, pattern string, fn func(ctx context.Context, n *redis.Client, key string)) error {
	t.Helper()
	scan := func(ctx context.Context, n *redis.Client) error {
		it := n.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			fn(ctx, n, it.Val())
		}
		return it.Err()
	}
	switch c := c.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, scan)
	case *redis.Client:
		return scan(ctx, c)
	default:
		t.Fatalf("unsupported Redis client %T", c)
		return nil
	}
}
