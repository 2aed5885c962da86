package lockout

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// A new engine and client on the same Redis (a restart of the edge, or
// another instance) sees the lock, on the Redis server's clock.
func TestRedisLockStoreKeepsLockAcrossRestart(t *testing.T) {
	c := testsupport.SharedRedis(t)
	prefix := testPrefix(t, c)
	a := SignInAttempt{Email: "restart@example.com", IP: ipA}
	first, err := NewLockout(LockoutOptions{Secret: testSecret, Store: NewRedisLockStore(c, RedisLockStoreOptions{Prefix: prefix})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < DefaultFreeFailures; i++ {
		adm, err := first.Begin(ctx, a)
		if err != nil || !adm.Admit {
			t.Fatalf("failure %d: %+v %v", i, adm, err)
		}
		if _, err := first.Settle(ctx, a, adm, OutcomeFailure); err != nil {
			t.Fatal(err)
		}
	}
	c2 := redis.NewClient(&redis.Options{Addr: testsupport.SharedRedisAddr, ContextTimeoutEnabled: true})
	defer c2.Close()
	second, err := NewLockout(LockoutOptions{Secret: testSecret, Store: NewRedisLockStore(c2, RedisLockStoreOptions{Prefix: prefix})})
	if err != nil {
		t.Fatal(err)
	}
	adm, err := second.Begin(ctx, a)
	if err != nil || adm.Admit || adm.Reason != ReasonLocked {
		t.Fatalf("after restart: %+v %v, want locked", adm, err)
	}
	if adm.RetryAfter <= 14*time.Minute || adm.RetryAfter > 15*time.Minute {
		t.Fatalf("retry after %v, want just under 15m", adm.RetryAfter)
	}
	// The record expires on its own: its TTL covers the lock and the
	// idle reset, no more.
	key := prefix + acctRecKey(second.keys.accountKey(a.Email))
	ttl, err := c.PTTL(ctx, key).Result()
	if err != nil || ttl <= 23*time.Hour || ttl > DefaultResetAfter {
		t.Fatalf("TTL of %s: %v %v", key, ttl, err)
	}
	// No email or IP in clear in any key or value.
	for _, k := range scanAll(t, c, prefix) {
		v, _ := c.Get(ctx, k).Result()
		for _, s := range []string{"restart", "example", ipA.String()} {
			if contains(k, s) || contains(v, s) {
				t.Fatalf("%q in Redis record %s = %s", s, k, v)
			}
		}
	}
	// A different secret: a different account key, nothing shared.
	other, _ := NewLockout(LockoutOptions{Secret: []byte("another-secret-of-16+"), Store: NewRedisLockStore(c2, RedisLockStoreOptions{Prefix: prefix})})
	if adm, err := other.Begin(ctx, a); err != nil || !adm.Admit {
		t.Fatalf("another secret: %+v %v", adm, err)
	}
}

func scanAll(t testing.TB, c *redis.Client, prefix string) []string {
	var keys []string
	it := c.Scan(context.Background(), 0, prefix+"*", 1000).Iterator()
	for it.Next(context.Background()) {
		keys = append(keys, it.Val())
	}
	if len(keys) == 0 {
		t.Fatal("no keys written")
	}
	return keys
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A Redis that dies mid-lock: Begin returns an error and no admission
// (the guard answers 503), never a bypass; Settle's error is returned too.
func TestRedisLockStoreFailureIsAnError(t *testing.T) {
	srv := testsupport.StartRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	l, err := NewLockout(LockoutOptions{Secret: testSecret, Store: NewRedisLockStore(c, RedisLockStoreOptions{Prefix: "t:"})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := SignInAttempt{Email: "down@example.com", IP: ipA}
	held, err := l.Begin(ctx, a)
	if err != nil || !held.Admit {
		t.Fatalf("before the outage: %+v %v", held, err)
	}
	srv.Stop()
	adm, err := l.Begin(ctx, a)
	if err == nil || adm.Admit {
		t.Fatalf("with Redis down: %+v %v, want an error and no admission", adm, err)
	}
	if _, err := l.List(ctx); err == nil {
		t.Fatal("List with Redis down: no error")
	}
	if _, err := l.Unlock(ctx, a.Email); err == nil {
		t.Fatal("Unlock with Redis down: no error")
	}
	st, err := l.Settle(ctx, a, held, OutcomeSuccess)
	if err == nil {
		t.Fatal("Settle with Redis down: no error")
	}
	if len(st.Cookies) != 1 {
		t.Fatal("a success lost its device cookie to a store error")
	}
	// Back up (empty): it answers again.
	srv.Start()
	var adm2 Admission
	for i := 0; i < 40; i++ {
		// The client may first meet a connection of the dead server.
		if adm2, err = l.Begin(ctx, a); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || !adm2.Admit {
		t.Fatalf("after recovery: %+v %v", adm2, err)
	}
}

// A Redis that accepts connections and never answers: Begin gives up at
// the store's timeout with an error.
func TestRedisLockStoreStallTimesOut(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: testsupport.StallListener(t), ContextTimeoutEnabled: true, MaxRetries: -1})
	defer c.Close()
	lk, err := NewLockout(LockoutOptions{Secret: testSecret, Store: NewRedisLockStore(c, RedisLockStoreOptions{Timeout: 100 * time.Millisecond})})
	if err != nil {
		t.Fatal(err)
	}
	adm, err := lk.Begin(context.Background(), SignInAttempt{Email: "stall@example.com", IP: ipA})
	if err == nil || adm.Admit {
		t.Fatalf("stalled Redis: %+v %v, want an error", adm, err)
	}
}

// Two instances (stores with their own clients) on one Redis: a burst
// split across them still admits exactly the budget, through the
// compare-and-set script rather than the in-process stripes.
func TestRedisLockStoreTwoInstancesBurst(t *testing.T) {
	c1 := testsupport.SharedRedis(t)
	prefix := testPrefix(t, c1)
	c2 := testsupport.SharedRedis(t)
	var engines [2]*Lockout
	for i, c := range []*redis.Client{c1, c2} {
		l, err := NewLockout(LockoutOptions{Secret: testSecret, Store: NewRedisLockStore(c, RedisLockStoreOptions{Prefix: prefix, Timeout: 5 * time.Second})})
		if err != nil {
			t.Fatal(err)
		}
		engines[i] = l
	}
	a := SignInAttempt{Email: "split@example.com", IP: ipA}
	admitted := 0
	for _, adm := range beginBurst(t, a, 50, engines[:]...) {
		if adm.Admit {
			admitted++
		}
	}
	if admitted != DefaultFreeFailures {
		t.Fatalf("%d admitted across two instances, want %d", admitted, DefaultFreeFailures)
	}
}

// TestRedisLockStoreTwoScriptsPerSignIn counts the scripts (round trips)
// of sign-ins on standalone Redis: one at Begin, one at Settle, for a new
// account and IP and for known ones; an instance that has not seen the
// records pays one more at Begin; the cluster, whose IP and account
// records live in different slots, one per record.
func TestRedisLockStoreTwoScriptsPerSignIn(t *testing.T) {
	c := testsupport.SharedRedis(t)
	prefix := testPrefix(t, c)
	store := NewRedisLockStore(c, RedisLockStoreOptions{Prefix: prefix})
	l, err := NewLockout(LockoutOptions{Secret: testSecret, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	signIn := func(l *Lockout, s *RedisLockStore, a SignInAttempt, out AttemptOutcome) int64 {
		t.Helper()
		before := s.Scripts()
		adm, err := l.Begin(ctx, a)
		if err != nil || !adm.Admit {
			t.Fatalf("begin: %+v %v", adm, err)
		}
		if _, err := l.Settle(ctx, a, adm, out); err != nil {
			t.Fatalf("settle: %v", err)
		}
		return s.Scripts() - before
	}
	a := SignInAttempt{Email: "trips@example.com", IP: ipA}
	for i, out := range []AttemptOutcome{OutcomeFailure, OutcomeFailure, OutcomeNotCounted, OutcomeSuccess} {
		if n := signIn(l, store, a, out); n != 2 {
			t.Fatalf("sign-in %d (%v): %d scripts, want 2", i, out, n)
		}
	}
	// The records hold what the engine wrote: another engine on a fresh
	// store (another instance) sees the two failures were cleared by the
	// success, after one extra script to learn the records.
	other := NewRedisLockStore(c, RedisLockStoreOptions{Prefix: prefix})
	l2, _ := NewLockout(LockoutOptions{Secret: testSecret, Store: other})
	if n := signIn(l2, other, a, OutcomeFailure); n != 3 {
		t.Fatalf("first sign-in on a second instance: %d scripts, want 3", n)
	}
	// The first instance's view is stale now: one conflict, then back to 2.
	if n := signIn(l, store, a, OutcomeFailure); n != 3 {
		t.Fatalf("after another instance wrote: %d scripts, want 3", n)
	}
	if n := signIn(l, store, a, OutcomeFailure); n != 2 {
		t.Fatalf("steady again: %d scripts, want 2", n)
	}
	list, err := l.List(ctx)
	if err != nil || len(list) != 1 || list[0].Failures != 3 {
		t.Fatalf("list: %+v %v, want one account with 3 failures", list, err)
	}
}
