package authguard

import (
	"fmt"
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
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: edgetest.StartRedisCluster(t, 3)[:1], ContextTimeoutEnabled: true})
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
