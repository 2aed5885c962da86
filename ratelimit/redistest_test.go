package ratelimit

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// Shared helpers for the Redis store tests: key prefixes and listings on
// the shared Redis on 6379 (never flushed or stopped), clients of any
// Redis (a test's own redis-server comes from testsupport.StartRedis),
// and what a test reads of a Redis server or of its own goroutines.

// testPrefix returns a key prefix no other test uses and deletes its keys
// when the test ends.
func testPrefix(t testing.TB, c redis.UniversalClient) string {
	return testsupport.RedisTestPrefix(t, c, "rltest") + ":"
}

// scanKeys lists the keys starting with prefix (on every master of a
// cluster).
func scanKeys(t testing.TB, ctx context.Context, c redis.UniversalClient, prefix string) []string {
	t.Helper()
	var mu sync.Mutex
	var keys []string
	err := testsupport.ForEachRedisKey(t, ctx, c, prefix+"*", func(_ context.Context, _ *redis.Client, key string) {
		mu.Lock()
		keys = append(keys, key)
		mu.Unlock()
	})
	if err != nil {
		t.Logf("listing test keys: %v", err)
	}
	return keys
}

// addrClient returns a client of the Redis at addr with context deadlines
// enabled, closed at the end of the test.
func addrClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	return "127.0.0.1:" + strconv.Itoa(testsupport.FreePort(t))
}

// commandCalls reads INFO commandstats: calls per command.
func commandCalls(t testing.TB, c *redis.Client) map[string]int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	calls := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, field := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				calls[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return calls
}

// serverMicros is the Redis server's clock in microseconds.
func serverMicros(t testing.TB, c redis.Cmdable) int64 {
	t.Helper()
	now, err := c.Time(context.Background()).Result()
	if err != nil {
		t.Fatalf("TIME: %v", err)
	}
	return now.UnixMicro()
}

// goroutinesRunning reports whether any goroutine's stack contains fn.
func goroutinesRunning(fn string) bool {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Contains(string(buf[:n]), fn)
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitFor polls cond every few milliseconds until it holds or timeout
// passes, and reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
