package ratelimit

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// BenchmarkMemoryTake is one memory-store decision for a prebuilt check on
// a working set of 100,000 keys. It reports p50/p99 latency as well.
func BenchmarkMemoryTake(b *testing.B) {
	s := NewMemoryStore(0, nil)
	c := check("bench", 0, "1000000/1s", 0)
	checks := make([]Check, 1)
	out := make([]Outcome, 1)
	ctx := context.Background()
	lat := make([]time.Duration, 0, min(b.N, 1_000_000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.LittleEndian.PutUint64(c.Key[:8], uint64(i%100_000))
		checks[0] = c
		t0 := time.Now()
		s.Take(ctx, checks, out)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkMemoryTakeParallel is the same decision from all cores.
func BenchmarkMemoryTakeParallel(b *testing.B) {
	s := NewMemoryStore(0, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c := check("bench", 0, "1000000/1s", 0)
		checks := []Check{c}
		out := make([]Outcome, 1)
		i := uint64(0)
		for pb.Next() {
			i++
			binary.LittleEndian.PutUint64(checks[0].Key[:8], i%100_000)
			s.Take(context.Background(), checks, out)
		}
	})
}

// BenchmarkDecideSignIn is a whole limiter decision for a sign-in request
// matching an IP zone and an email zone: matching, reading the JSON body,
// hashing both keys, one store call.
func BenchmarkDecideSignIn(b *testing.B) {
	l, err := New(Config{Zones: []Zone{
		{Name: "ip", Rate: mustRate("1000000/1s"), Key: []KeySource{{Kind: KeyClientIP}}},
		{Name: "email", Rate: mustRate("1000000/1s"), Key: []KeySource{{Kind: KeyBody, Name: "email"}}},
	}, ClientIP: peerIP}, NewMemoryStore(0, nil))
	if err != nil {
		b.Fatal(err)
	}
	body := `{"email":"alice@example.test","password":"correct horse battery staple"}`
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-in/email", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if _, err := l.Decide(nil, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryBytesPerKey stores one million distinct keys and reports
// the heap they cost, per key.
func BenchmarkMemoryBytesPerKey(b *testing.B) {
	const keys = 1_000_000
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := NewMemoryStore(keys, nil)
		c := check("bench", 0, "1/1h", 0)
		checks, out := []Check{c}, make([]Outcome, 1)
		for k := uint64(0); k < keys; k++ {
			binary.LittleEndian.PutUint64(checks[0].Key[:8], k*0x9E3779B97F4A7C15)
			s.Take(context.Background(), checks, out)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if s.Len() < keys*99/100 {
			b.Fatalf("only %d keys kept", s.Len())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(s.Len()), "bytes/key")
		runtime.KeepAlive(s)
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkDecideAPI is the limiter's whole work for a GET /api/health
// under the ocomms preset on the memory store: match the nine zones, key
// the api-ip zone on the client address, one decision. A new client
// address per request, as in the end-to-end benchmark.
func BenchmarkDecideAPI(b *testing.B) {
	zones, _ := Preset("ocomms")
	l, err := New(Config{Zones: zones, ClientIP: peerIP, Hasher: NewHasher([]byte("bench-secret"))}, NewMemoryStore(0, nil))
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/health", nil)
	addrs := make([]string, 1<<14)
	for i := range addrs {
		addrs[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 1234).String()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.RemoteAddr = addrs[i%len(addrs)]
		d, err := l.Decide(nil, r)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
		d.Release()
	}
}
