package authguard

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// A new engine and client on the same Redis (a restart of the edge, or
// another instance) sees the lock, on the Redis server's clock.
func TestRedisLockStoreKeepsLockAcrossRestart(t *testing.T) {
	c := sharedRedis(t)
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
	c2 := redis.NewClient(&redis.Options{Addr: sharedRedisAddr, ContextTimeoutEnabled: true})
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
	srv := edgetest.StartRedis(t)
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: l.Addr().String(), ContextTimeoutEnabled: true, MaxRetries: -1})
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
	c1 := sharedRedis(t)
	prefix := testPrefix(t, c1)
	c2 := sharedRedis(t)
	var engines [2]*Lockout
	for i, c := range []*redis.Client{c1, c2} {
		l, err := NewLockout(LockoutOptions{Secret: testSecret, Store: NewRedisLockStore(c, RedisLockStoreOptions{Prefix: prefix, Timeout: 5 * time.Second})})
		if err != nil {
			t.Fatal(err)
		}
		engines[i] = l
	}
	a := SignInAttempt{Email: "split@example.com", IP: ipA}
	const n = 50
	adms := make([]Admission, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			adms[i], errs[i] = engines[i%2].Begin(context.Background(), a)
		}()
	}
	start.Done()
	done.Wait()
	admitted := 0
	for i := range adms {
		if errs[i] != nil {
			t.Fatalf("Begin %d: %v", i, errs[i])
		}
		if adms[i].Admit {
			admitted++
		}
	}
	if admitted != DefaultFreeFailures {
		t.Fatalf("%d admitted across two instances, want %d", admitted, DefaultFreeFailures)
	}
}
