package postgres

import (
	"context"
	"crypto/ed25519"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// BenchmarkPostgresIngest measures sustained events/s into the audit
// schema on a private PostgreSQL over TLS verify-full, side by side in
// one run: Copy is the sink's Write (decode, COPY batches of 1,000, one
// transaction each); SingleInsert is one INSERT per event in its own
// transaction (how Teleport and Keycloak write). Run with e.g.
//
//	go test -run '^$' -bench BenchmarkPostgresIngest -benchtime 5s ./auditlog/
func BenchmarkPostgresIngest(b *testing.B) {
	srv := startPGServer(b, "bench")
	now := time.Now()
	s := pgNewSink(b, srv.URL("bench"), now)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var (
		copySeq   uint64 = 1
		copyPrev  [32]byte
		insSeq    uint64 = 1
		insPrev   [32]byte
		mkRecords = func(inst string, from *uint64, prev *[32]byte, n int) []record.Record {
			recs := pgTestChain(inst, *from, n, *prev, now)
			*from += uint64(n)
			*prev = recs[n-1].Hash
			return recs
		}
	)
	b.Run("Copy", func(b *testing.B) {
		const batch = 1000
		recs := mkRecords("bench-copy", &copySeq, &copyPrev, b.N)
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < len(recs); i += batch {
			if err := s.Write(ctx, recs[i:min(i+batch, len(recs))]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	})
	b.Run("SingleInsert", func(b *testing.B) {
		recs := mkRecords("bench-insert", &insSeq, &insPrev, b.N)
		rows := make([]pgRow, len(recs))
		for i, r := range recs {
			row, err := toPGRow(r)
			if err != nil {
				b.Fatal(err)
			}
			rows[i] = row
		}
		if err := s.ensurePartitions(ctx, []pgDay{pgDayOf(now)}); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		start := time.Now()
		for i := range rows {
			if _, err := s.pool.Exec(ctx, pgInsertSQL,
				rows[i].values()...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	})
}

// pgBenchEvents is the synthetic data set size for the query benchmark:
// OCOMMS_BENCH_EVENTS, default 1,000,000 (the figure is 10M).
func pgBenchEvents(b *testing.B) int {
	if v := os.Getenv("OCOMMS_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10000 {
			b.Fatalf("OCOMMS_BENCH_EVENTS=%q: want an integer ≥ 10000", v)
		}
		return n
	}
	return 1_000_000
}

// BenchmarkPostgresQuery measures investigator queries on a synthetic set
// (OCOMMS_BENCH_EVENTS, default 1M) on a private PostgreSQL over TLS
// verify-full, warm cache, reporting p50 and p95 per query:
//
//	OCOMMS_BENCH_EVENTS=10000000 go test -run '^$' -bench BenchmarkPostgresQuery -benchtime 200x -timeout 60m ./auditlog/
func BenchmarkPostgresQuery(b *testing.B) {
	srv := startPGServer(b, "query", "shared_buffers=1GB", "max_wal_size=8GB", "checkpoint_timeout=30min",
		"maintenance_work_mem=512MB", "work_mem=32MB", "synchronous_commit=off")
	end := time.Now().UTC().Truncate(time.Hour)
	s := pgNewSink(b, srv.URL("query"), end)
	n := pgBenchEvents(b)
	pgLoadSynthetic(b, s, n, end)
	ctx := context.Background()
	rng := mrand.New(mrand.NewPCG(1, 2))
	ip := func() string { k := rng.IntN(50000); return fmt.Sprintf("10.0.%d.%d", k/256, k%256) }
	queries := []struct {
		name string
		run  func() (int, error)
	}{
		{"user-7d-newest-100", func() (int, error) {
			p, err := s.Query(ctx, query.Filter{UserID: "u" + strconv.Itoa(rng.IntN(5000)), Since: end.Add(-7 * 24 * time.Hour), Limit: 100})
			return len(p.Events), err
		}},
		{"email-7d-newest-100", func() (int, error) {
			p, err := s.Query(ctx, query.Filter{Email: fmt.Sprintf("user%d@example.com", rng.IntN(5000)), Since: end.Add(-7 * 24 * time.Hour), Limit: 100})
			return len(p.Events), err
		}},
		{"ip-30d-newest-100", func() (int, error) {
			p, err := s.Query(ctx, query.Filter{IP: ip(), Since: end.Add(-30 * 24 * time.Hour), Limit: 100})
			return len(p.Events), err
		}},
		{"cidr24-30d-newest-100", func() (int, error) {
			p, err := s.Query(ctx, query.Filter{IP: fmt.Sprintf("10.0.%d.0/24", rng.IntN(195)), Since: end.Add(-30 * 24 * time.Hour), Limit: 100})
			return len(p.Events), err
		}},
		{"ip-to-accounts-30d", func() (int, error) {
			p, err := s.AccountsFromIP(ctx, ip(), end.Add(-30*24*time.Hour), end)
			return len(p), err
		}},
		{"account-to-ips-30d", func() (int, error) {
			p, err := s.IPsForAccount(ctx, fmt.Sprintf("user%d@example.com", rng.IntN(5000)), end.Add(-30*24*time.Hour), end)
			return len(p), err
		}},
		{"type-1h-newest-100", func() (int, error) {
			from := end.Add(-time.Duration(1+rng.IntN(29*24)) * time.Hour)
			p, err := s.Query(ctx, query.Filter{Actions: []secevent.Action{secevent.ActionAdmin}, Since: from, Until: from.Add(time.Hour), Limit: 100})
			return len(p.Events), err
		}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			for range 5 { // warm up
				if _, err := q.run(); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			rows := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				got, err := q.run()
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				rows += got
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}

// BenchmarkPostgresReadRecords measures the chain read Verify uses
// (including the per-row column check) and the whole Verify over it (what
// `caddy ocomms audit verify --postgres` runs) in rows/s, on one private
// PostgreSQL over TLS verify-full holding 200,000 records. server-cpu-µs/row
// is the CPU the PostgreSQL server processes spent per row (from
// /proc/<pid>/stat) and client-cpu-µs/row this process's (getrusage), to
// tell server from client time on a shared machine.
//
//	go test -run '^$' -bench BenchmarkPostgresReadRecords -benchtime 3x ./auditlog/
func BenchmarkPostgresReadRecords(b *testing.B) {
	srv := startPGServer(b, "read", "shared_buffers=512MB")
	now := time.Now()
	s := pgNewSink(b, srv.URL("read"), now)
	ctx := context.Background()
	const n = 200_000
	var prev [32]byte
	for from := 1; from <= n; from += 10_000 {
		recs := pgTestChain("bench-read", uint64(from), 10_000, prev, now.Add(-time.Hour))
		prev = recs[len(recs)-1].Hash
		if err := s.Write(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	key := logtest.TestKey(b)
	pub := key.Public().(ed25519.PublicKey)
	if err := s.WriteCheckpoint(ctx, chain.Sign(record.Checkpoint{Instance: "bench-read", Seq: n, Hash: prev, Time: now}, key)); err != nil {
		b.Fatal(err)
	}
	measure := func(b *testing.B, run func() error) {
		cpu0, self0 := pgServerCPU(b, srv), pgSelfCPU()
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if err := run(); err != nil {
				b.Fatal(err)
			}
		}
		el := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(n*b.N)/el.Seconds(), "rows/s")
		b.ReportMetric((pgServerCPU(b, srv)-cpu0).Seconds()*1e6/float64(n*b.N), "server-cpu-µs/row")
		b.ReportMetric((pgSelfCPU()-self0).Seconds()*1e6/float64(n*b.N), "client-cpu-µs/row")
	}
	b.Run("Read", func(b *testing.B) {
		measure(b, func() error {
			got := 0
			if err := s.ReadRecords(ctx, func(record.Record) error { got++; return nil }); err != nil {
				return err
			}
			if got != n {
				return fmt.Errorf("read %d of %d", got, n)
			}
			return nil
		})
	})
	b.Run("Verify", func(b *testing.B) {
		measure(b, func() error {
			rep, err := chain.Verify(ctx, s, pub)
			if err != nil {
				return err
			}
			if !rep.OK() || rep.Records != n || rep.Checkpoints != 1 {
				return fmt.Errorf("verify: ok %v, %d records, %d checkpoints, problems %v", rep.OK(), rep.Records, rep.Checkpoints, rep.Problems)
			}
			return nil
		})
	})
}

// pgSelfCPU is this process's user+system CPU time.
func pgSelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pgServerCPU is the CPU time of a private server: its postmaster's own
// and reaped children's (utime, stime, cutime, cstime) plus every live
// child's, so a backend or autovacuum worker that exits mid-measurement
// still counts. Read from /proc (Linux only; 0 elsewhere).
func pgServerCPU(b *testing.B, srv *pgServer) time.Duration {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(srv.data, "postmaster.pid"))
	if err != nil {
		b.Fatalf("reading postmaster.pid: %v", err)
	}
	pm, _, _ := strings.Cut(string(raw), "\n")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var ticks int64
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// After the parenthesised command: state(3) ppid(4) ... utime(14)
		// stime(15) cutime(16) cstime(17).
		_, rest, ok := strings.Cut(string(stat), ") ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 15 {
			continue
		}
		fields := 0
		switch {
		case e.Name() == pm:
			fields = 4
		case f[1] == pm:
			fields = 2
		}
		for _, v := range f[11 : 11+fields] {
			t, _ := strconv.ParseInt(v, 10, 64)
			ticks += t
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}
