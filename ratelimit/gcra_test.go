package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// take calls s.Take and fails the test on an error.
func take(t *testing.T, s Store, checks ...Check) (bool, []Outcome) {
	t.Helper()
	out := make([]Outcome, len(checks))
	ok, err := s.Take(context.Background(), checks, out)
	if err != nil {
		t.Fatalf("take: %v", err)
	}
	return ok, out
}

func check(zone string, key byte, rate string, burst int64) Check {
	r, err := ParseRate(rate)
	if err != nil {
		panic(err)
	}
	if burst == 0 {
		burst = r.Count
	}
	return Check{Zone: zone, Key: KeyHash{key, 1, 2, 3}, Limit: Limit{Interval: r.Interval(), Burst: burst}}
}

func TestGCRABurstThenOnePerInterval(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	s := NewMemoryStore(0, clk.UnixNano)
	c := check("login", 1, "5/15m", 0) // interval 3m, burst 5
	for i := 0; i < 5; i++ {
		ok, out := take(t, s, c)
		if !ok || out[0].Remaining != int64(4-i) {
			t.Fatalf("request %d: allowed=%v remaining=%d, want allowed with %d left", i+1, ok, out[0].Remaining, 4-i)
		}
	}
	ok, out := take(t, s, c)
	if ok || out[0].RetryAfter != 3*time.Minute {
		t.Fatalf("6th request: allowed=%v retry=%v, want denied for exactly 3m", ok, out[0].RetryAfter)
	}
	clk.Advance(3*time.Minute - time.Nanosecond)
	if ok, _ := take(t, s, c); ok {
		t.Fatal("admitted 1ns before Retry-After")
	}
	clk.Advance(time.Nanosecond)
	if ok, out := take(t, s, c); !ok || out[0].Remaining != 0 {
		t.Fatalf("at exactly Retry-After: allowed=%v remaining=%d", ok, out[0].Remaining)
	}
	clk.Advance(15 * time.Minute)
	if ok, out := take(t, s, c); !ok || out[0].Remaining != 4 {
		t.Fatalf("after a full period: allowed=%v remaining=%d, want a full burst", ok, out[0].Remaining)
	}
}

func TestGCRABurstSmallerThanCount(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	s := NewMemoryStore(0, clk.UnixNano)
	c := check("api", 1, "60/1m", 2)
	if ok, _ := take(t, s, c); !ok {
		t.Fatal("first denied")
	}
	if ok, _ := take(t, s, c); !ok {
		t.Fatal("second denied")
	}
	if ok, out := take(t, s, c); ok || out[0].RetryAfter != time.Second {
		t.Fatalf("third: allowed=%v retry=%v, want denied for 1s", ok, out[0].RetryAfter)
	}
}

func TestTakeIsAllOrNothing(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	s := NewMemoryStore(0, clk.UnixNano)
	wide, narrow := check("ip", 1, "100/1m", 0), check("email", 2, "1/1m", 0)
	if ok, _ := take(t, s, narrow); !ok {
		t.Fatal("narrow zone denied its first request")
	}
	for i := 0; i < 3; i++ {
		if ok, out := take(t, s, wide, narrow); ok || out[0].Allowed != true || out[1].Allowed != false {
			t.Fatalf("attempt %d: %v %+v", i, ok, out)
		}
	}
	if _, out := take(t, s, wide); out[0].Remaining != 99 {
		t.Fatalf("the wide zone was charged for denied requests: %d left, want 99", out[0].Remaining)
	}
}

func TestRefundRestoresBudget(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	s := NewMemoryStore(0, clk.UnixNano)
	c := check("login", 1, "2/1m", 0)
	take(t, s, c)
	take(t, s, c)
	if ok, _ := take(t, s, c); ok {
		t.Fatal("third admitted")
	}
	if err := s.Refund(context.Background(), []Check{c}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := take(t, s, c); !ok {
		t.Fatal("refund did not give a request back")
	}
	s.Refund(context.Background(), []Check{c})
	s.Refund(context.Background(), []Check{c})
	if s.Len() != 0 {
		t.Fatalf("a fully refunded key is still stored (%d keys)", s.Len())
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{"5/1m", Rate{5, time.Minute}, false},
		{"3/15m", Rate{3, 15 * time.Minute}, false},
		{"100/s", Rate{100, time.Second}, false},
		{"10/1h", Rate{10, time.Hour}, false},
		{"0/1m", Rate{}, true},
		{"5", Rate{}, true},
		{"5/0s", Rate{}, true},
		{"x/1m", Rate{}, true},
		{"2000000/1s", Rate{}, true},
	} {
		got, err := ParseRate(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("ParseRate(%q) = %v, %v", tc.in, got, err)
		}
	}
	if s := (Rate{3, 15 * time.Minute}).String(); s != "3/15m" {
		t.Errorf("String = %q", s)
	}
}

func TestMemoryStoreBoundedAndEvictsIdleFirst(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	s := NewMemoryStore(memShards*4, clk.UnixNano) // 4 keys per shard
	slow := check("z", 0, "1/1h", 0)               // stays active for an hour
	fast := check("z", 0, "1000/1s", 0)            // idle again after 1ms
	key := func(i int, tag byte) KeyHash { return KeyHash{byte(i), byte(i >> 8), tag} }
	// Every shard (i % 64) gets two slow and two fast keys: full.
	for i := 0; i < memShards*4; i++ {
		c := slow
		if (i/memShards)%2 == 1 {
			c = fast
		}
		c.Key = key(i, 1)
		take(t, s, c)
	}
	if s.Len() != memShards*4 || s.Evictions() != 0 {
		t.Fatalf("filling to the limit: %d keys, %d evictions", s.Len(), s.Evictions())
	}
	clk.Advance(time.Second)
	// Two new keys per shard: the idle fast keys make room.
	for i := 0; i < memShards*2; i++ {
		c := slow
		c.Key = key(i, 2)
		take(t, s, c)
	}
	if s.Evictions() != 0 {
		t.Fatalf("%d active keys were evicted while idle ones were available", s.Evictions())
	}
	// Now every key is active: new keys force evictions, the bound holds.
	for i := 0; i < memShards*2; i++ {
		c := slow
		c.Key = key(i, 3)
		take(t, s, c)
	}
	if s.Len() > memShards*4 || s.Evictions() == 0 {
		t.Fatalf("over the limit with all keys active: %d keys, %d evictions", s.Len(), s.Evictions())
	}
}
