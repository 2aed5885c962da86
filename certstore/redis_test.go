package certstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// Helpers for the storage tests: the shared Redis on 6379 (never flushed:
// each test owns a unique prefix and deletes its keys), and a small Redis
// Cluster of test-owned redis-server processes.

const sharedRedisAddr = edgetest.SharedRedisAddr

// sharedRedis returns a client of the shared Redis, or ends the test as
// ServiceUnavailable.
func sharedRedis(t testing.TB) *redis.Client { return edgetest.SharedRedis(t) }

// testPrefix returns a prefix no other test uses; every key under it (all
// share the {prefix} hash tag, so one node holds them) is deleted when the
// test ends.
func testPrefix(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "ocomms:certstoretest:" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pattern := "{" + prefix + "}*"
		del := func(ctx context.Context, n *redis.Client) error {
			it := n.Scan(ctx, 0, pattern, 1000).Iterator()
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
			t.Logf("deleting test keys: %v", err)
		}
	})
	return prefix
}

// startCluster starts a Redis Cluster of n masters on free ports, slots
// split evenly, and returns a cluster client; everything stops at test end.
func startCluster(t testing.TB, n int) *redis.ClusterClient {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		edgetest.ServiceUnavailable(t, "redis-server", err)
	}
	ctx := context.Background()
	addrs := make([]string, n)
	nodes := make([]*redis.Client, n)
	bus := make([]int, n)
	dir := t.TempDir()
	for i := range n {
		port := edgetest.FreePort(t)
		bus[i] = edgetest.FreePort(t)
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir, "--logfile", "",
			"--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("nodes-%d.conf", i),
			"--cluster-port", strconv.Itoa(bus[i]), "--cluster-node-timeout", "5000")
		if err := cmd.Start(); err != nil {
			edgetest.ServiceUnavailable(t, "redis-server", err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		addrs[i] = "127.0.0.1:" + strconv.Itoa(port)
		nodes[i] = redis.NewClient(&redis.Options{Addr: addrs[i]})
		t.Cleanup(func() { nodes[i].Close() })
		deadline := time.Now().Add(10 * time.Second)
		for nodes[i].Ping(ctx).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s did not answer", addrs[i])
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	per := 16384 / n
	for i, node := range nodes {
		lo, hi := i*per, (i+1)*per-1
		if i == n-1 {
			hi = 16383
		}
		if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatalf("assigning slots: %v", err)
		}
		if i > 0 {
			port, _ := strconv.Atoi(strings.TrimPrefix(addrs[i], "127.0.0.1:"))
			if err := nodes[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", port, bus[i]).Err(); err != nil {
				t.Fatalf("joining nodes: %v", err)
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, node := range nodes {
		for {
			info, err := node.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster did not come up: %v %s", err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
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
