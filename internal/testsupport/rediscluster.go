package testsupport

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// StartRedisCluster starts a Redis Cluster of n masters (no replicas) as
// redis-server processes the test owns, on free loopback ports, with the
// 16384 slots split evenly in node order, and returns the nodes' addresses
// once every node reports cluster_state:ok. Everything stops at test end.
// Without redis-server it ends the test through ServiceUnavailable.
func StartRedisCluster(t testing.TB, n int) []string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		ServiceUnavailable(t, "redis-server", err)
	}
	ctx := context.Background()
	dir := TempDir(t)
	addrs := make([]string, n)
	ports := make([]int, n)
	bus := make([]int, n)
	nodes := make([]*redis.Client, n)
	for i := range n {
		ports[i], bus[i] = FreePort(t), FreePort(t)
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(ports[i]), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir, "--logfile", "",
			"--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("nodes-%d.conf", i),
			"--cluster-port", strconv.Itoa(bus[i]), "--cluster-node-timeout", "5000")
		if err := cmd.Start(); err != nil {
			ServiceUnavailable(t, "redis-server", err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		addrs[i] = "127.0.0.1:" + strconv.Itoa(ports[i])
		nodes[i] = redis.NewClient(&redis.Options{Addr: addrs[i]})
		defer nodes[i].Close()
		deadline := time.Now().Add(10 * time.Second)
		for nodes[i].Ping(ctx).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("redis cluster node %s did not answer", addrs[i])
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
			t.Fatalf("redis cluster: assigning slots: %v", err)
		}
		if i > 0 {
			if err := nodes[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", ports[i], bus[i]).Err(); err != nil {
				t.Fatalf("redis cluster: joining nodes: %v", err)
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
				t.Fatalf("redis cluster did not come up: %v %s", err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs
}
