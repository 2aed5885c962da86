package testsupport

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SharedRedisAddr is the machine's shared Redis. Tests never flush or stop
// it: each uses keys under a prefix of its own and deletes them.
const SharedRedisAddr = "127.0.0.1:6379"

// SharedRedis returns a client of the shared Redis, closed when the test
// ends, or ends the test through ServiceUnavailable when it cannot be
// reached.
func SharedRedis(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: SharedRedisAddr, ContextTimeoutEnabled: true, PoolSize: 64})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		ServiceUnavailable(t, "Redis", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
