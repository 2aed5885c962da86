package lockout

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// startTestCluster starts a Redis Cluster of three masters owned by the
// test (redis-server processes on free ports, killed at the end) and
// returns a cluster client.
func startTestCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: testsupport.StartRedisCluster(t, 3)[:1], ContextTimeoutEnabled: true})
	t.Cleanup(func() { cc.Close() })
	return cc
}

// The behaviour tests again on a three-master Redis Cluster: every
// account's records share its hash tag, and List scans every master.
func TestRedisLockStoreCluster(t *testing.T) {
	cc := startTestCluster(t)
	var seq int
	kind := storeKind{"cluster", func(t testing.TB, clock *testsupport.Clock) LockStore {
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

// TestRedisLockStoreClusterScripts: on the cluster an IP and an account
// record live in different slots, so a sign-in takes one script per
// record and phase (4), and the device path, whose records share the
// account's slot, one per phase (2).
func TestRedisLockStoreClusterScripts(t *testing.T) {
	cc := startTestCluster(t)
	store := NewRedisLockStore(cc, RedisLockStoreOptions{Prefix: "scripts:", Timeout: 5 * time.Second})
	l, err := NewLockout(LockoutOptions{Secret: testSecret, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := SignInAttempt{Email: "cluster-trips@example.com", IP: ipA}
	before := store.Scripts()
	adm, err := l.Begin(ctx, a)
	if err != nil || !adm.Admit {
		t.Fatalf("begin: %+v %v", adm, err)
	}
	st, err := l.Settle(ctx, a, adm, OutcomeSuccess)
	if err != nil || len(st.Cookies) != 1 {
		t.Fatalf("settle: %+v %v", st, err)
	}
	if n := store.Scripts() - before; n != 4 {
		t.Fatalf("untrusted sign-in on the cluster: %d scripts, want 4", n)
	}
	a.DeviceCookie = st.Cookies[0].Value
	before = store.Scripts()
	adm, err = l.Begin(ctx, a)
	if err != nil || !adm.Admit || !adm.Trusted {
		t.Fatalf("trusted begin: %+v %v", adm, err)
	}
	if _, err := l.Settle(ctx, a, adm, OutcomeSuccess); err != nil {
		t.Fatal(err)
	}
	if n := store.Scripts() - before; n != 2 {
		t.Fatalf("trusted sign-in on the cluster: %d scripts, want 2", n)
	}
}
