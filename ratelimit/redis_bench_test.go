package ratelimit

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// BenchmarkRedisTake is one RedisStore decision of 1 or 3 checks against
// the Redis on loopback (one EVALSHA each), over 100,000 keys per zone. It
// reports p50/p99 latency as well as ns/op.
func BenchmarkRedisTake(b *testing.B) {
	c := redis.NewClient(&redis.Options{Addr: testsupport.SharedRedisAddr, ContextTimeoutEnabled: true})
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		b.Skipf("Redis at %s unreachable: %v", testsupport.SharedRedisAddr, err)
	}
	prefix := testPrefix(b, c)
	s := NewRedisStore(c, RedisOptions{Prefix: prefix, Timeout: time.Second})
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("checks=%d", n), func(b *testing.B) {
			checks := make([]Check, n)
			for i := range checks {
				checks[i] = rlCheck(fmt.Sprintf("bench%d", i), 0, time.Microsecond, 1_000_000)
			}
			out := make([]Outcome, n)
			lat := make([]time.Duration, 0, min(b.N, 1_000_000))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range checks {
					binary.LittleEndian.PutUint64(checks[j].Key[8:], uint64(i%100_000))
				}
				t0 := time.Now()
				if _, err := s.Take(ctx, checks, out); err != nil {
					b.Fatal(err)
				}
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(t0))
				}
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkResilientTakeOpen is a decision with the breaker open: the
// local memory store decides without touching Redis.
func BenchmarkResilientTakeOpen(b *testing.B) {
	c := redis.NewClient(&redis.Options{Addr: deadAddr(b), ContextTimeoutEnabled: true})
	defer c.Close()
	s := NewResilientStore(NewRedisStore(c, RedisOptions{}), NewMemoryStore(0, nil), ResilientOptions{})
	defer s.Close()
	checks := []Check{rlCheck("bench", 0, time.Microsecond, 1_000_000)}
	out := make([]Outcome, 1)
	ctx := context.Background()
	// Takes fail on the dead address (a dial timeout, so slowCallsToOpen
	// in a row) and open the breaker.
	for i := 0; i < slowCallsToOpen && !s.Open(); i++ {
		s.Take(ctx, checks, out)
	}
	if !s.Open() {
		b.Fatal("the breaker did not open")
	}
	lat := make([]time.Duration, 0, min(b.N, 1_000_000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.LittleEndian.PutUint64(checks[0].Key[:8], uint64(i%100_000))
		t0 := time.Now()
		if ok, src := s.TakeWithSource(ctx, checks, out); !ok || src != SourceLocal {
			b.Fatalf("allowed=%v source=%v", ok, src)
		}
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}
