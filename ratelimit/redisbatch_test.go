package ratelimit

import (
	"context"
	"encoding/binary"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// BenchmarkRedisTakeConcurrent compares decisions from 64 concurrent
// callers with and without coalescing them into pipelines, on loopback
// Redis. Read decisions/s from ns/op (lower is better).
func BenchmarkRedisTakeConcurrent(b *testing.B) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true, PoolSize: 64})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		b.Skipf("redis unavailable: %v", err)
	}
	for _, batched := range []bool{false, true} {
		name := "unbatched"
		if batched {
			name = "batched"
		}
		b.Run(name, func(b *testing.B) {
			s := NewRedisStore(c, RedisOptions{Prefix: "ocomms:rlbench:", Timeout: time.Second})
			if !batched {
				s.batch = nil
			}
			defer s.Close()
			var n atomic.Uint64
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				chk := Check{Zone: "bench", Limit: Limit{Interval: time.Microsecond, Burst: 1 << 30}}
				out := make([]Outcome, 1)
				for pb.Next() {
					binary.LittleEndian.PutUint64(chk.Key[:8], n.Add(1)%1000)
					if _, err := s.Take(context.Background(), []Check{chk}, out); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestRedisBatchesConcurrentDecisions: concurrent decisions share
// pipelines (fewer socket reads on the server than scripts run), and every
// caller still gets its own, exact answer.
func TestRedisBatchesConcurrentDecisions(t *testing.T) {
	srv := testsupport.StartRedis(t)
	c := addrClient(t, srv.Addr())
	info := func(section, field string) int64 {
		t.Helper()
		s, err := c.Info(context.Background(), section).Result()
		if err != nil {
			t.Fatal(err)
		}
		return infoField(s, field)
	}
	s := NewRedisStore(c, RedisOptions{Prefix: "ocomms:rltest:", Timeout: 5 * time.Second})
	defer s.Close()
	readsBefore := info("stats", "total_reads_processed")
	const callers = 200
	var admitted atomic.Int64
	start := make(chan struct{})
	done := make(chan struct{})
	for i := 0; i < callers; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			out := make([]Outcome, 1)
			ok, err := s.Take(context.Background(), []Check{rlCheck("batch", 7, time.Hour, 10)}, out)
			if err != nil {
				t.Error(err)
			}
			if ok {
				admitted.Add(1)
			}
		}()
	}
	close(start)
	for i := 0; i < callers; i++ {
		<-done
	}
	reads := info("stats", "total_reads_processed") - readsBefore
	if admitted.Load() != 10 {
		t.Fatalf("%d of %d concurrent decisions on a burst of 10 admitted, want exactly 10", admitted.Load(), callers)
	}
	if reads >= callers*3/4 {
		t.Fatalf("the server read %d times for %d concurrent decisions: they were not coalesced into pipelines", reads, callers)
	}
	t.Logf("%d concurrent decisions, %d server reads", callers, reads)
}

// infoField reads an integer field ("name:value" line) from INFO output.
func infoField(info, name string) int64 {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}
