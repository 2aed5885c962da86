package lockout

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// benchBeginSettle measures one untrusted sign-in through the engine:
// Begin (spray and account records) and Settle (both again), spread over
// many accounts and IPs so that failures do not lock.
func benchBeginSettle(b *testing.B, store LockStore, out AttemptOutcome) {
	l, err := NewLockout(LockoutOptions{Secret: testSecret, Store: store})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	emails := make([]string, 4096)
	for i := range emails {
		emails[i] = fmt.Sprintf("bench%d@example.com", i)
	}
	rs, _ := store.(*RedisLockStore)
	var scripts0 int64
	if rs != nil {
		scripts0 = rs.Scripts()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := SignInAttempt{Email: emails[i%len(emails)], IP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
		start := time.Now()
		adm, err := l.Begin(ctx, a)
		if err != nil {
			b.Fatal(err)
		}
		if adm.Admit {
			if _, err := l.Settle(ctx, a, adm, out); err != nil {
				b.Fatal(err)
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	if rs != nil {
		// Round trips: every store call is one script.
		b.ReportMetric(float64(rs.Scripts()-scripts0)/float64(b.N), "round-trips/op")
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

var benchOutcomes = []struct {
	name string
	o    AttemptOutcome
}{{"not_counted", OutcomeNotCounted}, {"failure", OutcomeFailure}, {"success", OutcomeSuccess}}

func BenchmarkLockoutMemory(b *testing.B) {
	for _, out := range benchOutcomes {
		b.Run(out.name, func(b *testing.B) {
			benchBeginSettle(b, NewMemoryLockStore(MemoryLockStoreOptions{}), out.o)
		})
	}
}

func BenchmarkLockoutRedis(b *testing.B) {
	c := testsupport.SharedRedis(b)
	for _, out := range benchOutcomes {
		b.Run(out.name, func(b *testing.B) {
			benchBeginSettle(b, NewRedisLockStore(c, RedisLockStoreOptions{Prefix: testPrefix(b, c), Timeout: time.Second}), out.o)
		})
	}
}

// BenchmarkLockoutRedisContended runs many goroutines on one account at
// once: the compare-and-set retries under contention.
func BenchmarkLockoutRedisContended(b *testing.B) {
	c := testsupport.SharedRedis(b)
	l, err := NewLockout(LockoutOptions{Secret: testSecret, Store: NewRedisLockStore(c, RedisLockStoreOptions{Prefix: testPrefix(b, c), Timeout: 5 * time.Second})})
	if err != nil {
		b.Fatal(err)
	}
	a := SignInAttempt{Email: "hot@example.com", IP: ipA}
	b.SetParallelism(25)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			adm, err := l.Begin(context.Background(), a)
			if err != nil {
				b.Error(err)
				return
			}
			if adm.Admit {
				if _, err := l.Settle(context.Background(), a, adm, OutcomeNotCounted); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
}
