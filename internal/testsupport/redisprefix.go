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
		del := func(ctx context.Context, n *redis.Client) error {
			it := n.Scan(ctx, 0, "*"+prefix+"*", 1000).Iterator()
			for it.Next(ctx) {
				n.Del(ctx, it.Val())
			}
			return it.Err()
		}
		var err error
		switch c := c.(type) {
		case *redis.ClusterClient:
			err = c.ForEachMaster(ctx, del)
		case *redis.Client:
			err = del(ctx, c)
		}
		if err != nil {
			t.Logf("deleting the test's Redis keys: %v", err)
		}
	})
	return prefix
}
