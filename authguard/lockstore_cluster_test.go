package authguard

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// startTestCluster starts a Redis Cluster of three masters owned by the
// test (redis-server processes on free ports, killed at the end) and
// returns a cluster client.
func startTestCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		edgetest.ServiceUnavailable(t, "redis-server", err)
	}
	const n = 3
	dir := t.TempDir()
	ports := make([]int, n)
	bus := make([]int, n)
	for i := range ports {
		ports[i], bus[i] = edgetest.FreePort(t), edgetest.FreePort(t)
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(ports[i]), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir, "--logfile", "",
			"--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("nodes-%d.conf", i),
			"--cluster-port", strconv.Itoa(bus[i]), "--cluster-node-timeout", "5000")
		if err := cmd.Start(); err != nil {
			edgetest.ServiceUnavailable(t, "redis-server", err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	ctx := context.Background()
	nodes := make([]*redis.Client, n)
	for i, p := range ports {
		nodes[i] = redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(p)})
		defer nodes[i].Close()
		deadline := time.Now().Add(10 * time.Second)
		for nodes[i].Ping(ctx).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %d did not start", i)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	per := 16384 / n
	for i, c := range nodes {
		hi := (i+1)*per - 1
		if i == n-1 {
			hi = 16383
		}
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", i*per, hi).Err(); err != nil {
			t.Fatalf("slots: %v", err)
		}
		if i > 0 {
			if err := nodes[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", ports[i], bus[i]).Err(); err != nil {
				t.Fatalf("meet: %v", err)
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range nodes {
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not up: %v %s", err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:" + strconv.Itoa(ports[0])}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { cc.Close() })
	return cc
}

// The behaviour tests again on a three-master Redis Cluster: every
// account's records share its hash tag, and List scans every master.
func TestRedisLockStoreCluster(t *testing.T) {
	cc := startTestCluster(t)
	var seq int
	kind := storeKind{"cluster", func(t testing.TB, clock *fakeClock) LockStore {
		seq++
		return NewRedisLockStore(cc, RedisLockStoreOptions{Prefix: fmt.Sprintf("c%d:", seq), Clock: clock.Now, Timeout: 5 * time.Second})
	}}
	for name, test := range map[string]func(*testing.T, storeKind){
		"schedule":     testLockoutSchedule,
		"hard_cap":     testLockoutHardCap,
		"recovery":     testLockoutRecoveryCookie,
		"device":       testLockoutDeviceCookie,
		"several":      testLockoutDeviceCookieSeveralAccounts,
		"spray":        testLockoutSpray,
		"burst":        testLockoutConcurrentBurst,
		"reservations": testLockoutReservations,
		"unlock_list":  testLockoutUnlockAndList,
		"simulation":   testLockoutSimulation,
	} {
		t.Run(name, func(t *testing.T) { test(t, kind) })
	}
}
