package certstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// startRedisProc starts a test-owned redis-server with args, killed at
// test end, and waits until it answers.
func startRedisProc(t *testing.T, args ...string) int {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		testsupport.ServiceUnavailable(t, "redis-server", err)
	}
	port := testsupport.FreePort(t)
	dir := t.TempDir()
	base := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir, "--logfile", ""}
	if len(args) > 0 && filepath.Ext(args[0]) == ".conf" {
		base = append([]string{args[0]}, base...)
		args = args[1:]
	}
	cmd := exec.Command("redis-server", append(base, args...)...)
	if err := cmd.Start(); err != nil {
		testsupport.ServiceUnavailable(t, "redis-server", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %d did not answer", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return port
}

// startSentinel starts a master, one replica and one Sentinel (quorum 1)
// monitoring them as "certs", and returns a failover client through the
// Sentinel plus the Sentinel's own client.
func startSentinel(t *testing.T) (redis.UniversalClient, *redis.SentinelClient) {
	t.Helper()
	master := startRedisProc(t)
	startRedisProc(t, "--replicaof", "127.0.0.1", strconv.Itoa(master))
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("sentinel monitor certs 127.0.0.1 %d 1\nsentinel down-after-milliseconds certs 1000\nsentinel failover-timeout certs 5000\n", master)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	sport := startRedisProc(t, conf, "--sentinel")
	saddr := "127.0.0.1:" + strconv.Itoa(sport)
	sc := redis.NewSentinelClient(&redis.Options{Addr: saddr})
	t.Cleanup(func() { sc.Close() })
	// Wait until the Sentinel knows the replica, or a failover has
	// nothing to promote.
	deadline := time.Now().Add(20 * time.Second)
	for {
		reps, err := sc.Replicas(context.Background(), "certs").Result()
		if err == nil && len(reps) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sentinel did not discover the replica: %v %v", reps, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{saddr}, MasterName: "certs", ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c, sc
}

// TestStorageSentinel runs the conformance suite through Sentinel, then
// forces a failover: the stored values and locking work on the promoted
// replica through the same client.
func TestStorageSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis with a replica and a Sentinel")
	}
	c, sc := startSentinel(t)
	conformance(t, func(t *testing.T, opts Options) *RedisStorage { return newStore(t, c, opts) })

	s := newStore(t, c, Options{Prefix: "ocomms:certstoretest:sentinel", EncryptionKey: testKey(t), LockTTL: time.Second})
	storeTree(t, s)
	// WAIT: the replica has every write before it is promoted (async
	// replication would otherwise lose the last ones, see NOTES).
	if n, err := c.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT = %d, %v", n, err)
	}
	before, err := sc.GetMasterAddrByName(ctx, "certs").Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Failover(ctx, "certs").Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		now, err := sc.GetMasterAddrByName(ctx, "certs").Result()
		if err == nil && now[1] != before[1] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failover: master still %v", before)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The client follows the new master; the first calls may still hit
	// the demoted one (READONLY) until go-redis switches.
	deadline = time.Now().Add(30 * time.Second)
	for {
		err := s.Store(ctx, "after-failover", []byte("x"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("storing after failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, k := range tree {
		if got, err := s.Load(ctx, k); err != nil || string(got) != "v:"+k {
			t.Errorf("after failover %q = %q, %v", k, got, err)
		}
	}
	if err := s.Lock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := newStore(t, c, Options{Prefix: s.Prefix()}).TryLock(ctx, "x"); ok {
		t.Error("lock not exclusive after failover")
	}
	if err := s.Unlock(ctx, "x"); err != nil {
		t.Error(err)
	}
	if err := s.Delete(ctx, ""); err != nil {
		t.Error(err)
	}
}
