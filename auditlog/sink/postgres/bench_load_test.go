package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// pgLoadWorkers is how many connections load days and build indexes at
// once: the machine has two cores.
const pgLoadWorkers = 2

// pgSyntheticInsertSQL inserts events $1..$2 of $4 spread evenly over the
// 30 days from $3: 5,000 users; IPs from 50,000 addresses
// (10.0.0.0–10.0.195.79), of which the mapping reaches 21,875 at 10M
// events, 35 per user (measured); 40% sign-in succeeded, 30% failed, 10%
// rate limited, 10% sign-out, 5% admin, 5% password changed. Data is canonical-shaped JSON the sink can decode;
// the chain columns are filler (not verified here).
const pgSyntheticInsertSQL = `
WITH g AS (
	SELECT i,
		$3::timestamptz + (i::float8 / $4::float8) * interval '30 days' AS ts,
		(i * 7919) % 5000 AS u,
		(i * 104729 + i / 7) % 50000 AS ip,
		CASE WHEN i % 20 < 8 THEN 'sign_in_succeeded' WHEN i % 20 < 14 THEN 'sign_in_failed'
			WHEN i % 20 < 16 THEN 'rate_limited' WHEN i % 20 < 18 THEN 'sign_out'
			WHEN i % 20 = 18 THEN 'admin_action' ELSE 'password_changed' END AS action
	FROM generate_series($1::bigint, $2::bigint) AS i
), r AS (
	SELECT i, ts, action,
		CASE WHEN action IN ('sign_in_failed', 'rate_limited') THEN 'failure' ELSE 'success' END AS outcome,
		'u' || u AS user_id, 'user' || u || '@example.com' AS email,
		('10.0.' || (ip / 256) || '.' || (ip % 256))::inet AS source_ip,
		md5(i::text)::uuid AS event_id
	FROM g
)
INSERT INTO audit_events (instance, seq, event_id, ts, action, outcome, user_id, email, source_ip, status,
	data, prev_hash, hash, detail_ok)
SELECT 'bench', i, event_id, ts, action, outcome, user_id, email, source_ip, 200,
	convert_to(json_build_object('@timestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		'event', json_build_object('action', action, 'id', event_id, 'outcome', outcome, 'sequence', i),
		'source', json_build_object('ip', host(source_ip)),
		'user', json_build_object('email', email, 'id', user_id),
		'user_agent', json_build_object('original', 'Mozilla/5.0 (X11; Linux x86_64) bench'),
		'url', json_build_object('path', '/api/auth/sign-in/email'))::text, 'UTF8'),
	sha256(int8send(i - 1)), sha256(int8send(i)), true
FROM r`

// pgLoadSynthetic fills audit_events server-side with n events evenly over
// the 30 days before end (see pgSyntheticInsertSQL). It loads in bulk:
// after Migrate and the partitions it saves the index catalogue, drops the
// secondary indexes (the primary key stays), inserts one day per
// statement on pgLoadWorkers connections, rebuilds every partition's
// index from its saved definition and attaches it to its parent, then
// fails unless the catalogue is again exactly what Migrate made. Bulk-built
// btrees are packed tighter than ones grown by appends; the queries see
// that layout.
func pgLoadSynthetic(t testing.TB, s *PostgresSink, n int, end time.Time) {
	t.Helper()
	ctx := context.Background()
	start := end.Add(-30 * 24 * time.Hour)
	days := pgSyntheticDays(end)
	want := pgMigrateCatalog(t, s, days)
	began := time.Now()
	var drops []string
	for _, ix := range want {
		if ix.parent == "" && ix.table == "audit_events" && !ix.constraint {
			drops = append(drops, "DROP INDEX "+ix.name)
		}
	}
	if err := pgRunParallel(ctx, s, drops, 1); err != nil {
		t.Fatal(err)
	}
	// One INSERT per day: rows of a day reach one partition from one
	// connection, in time order, as the sink would append them.
	var loads [][2]int
	span := 30 * 24 * time.Hour
	for _, d := range days {
		lo := max(1, int(math.Ceil(float64(d.start().Sub(start))/float64(span)*float64(n))))
		hi := min(n, int(math.Ceil(float64(d.next().start().Sub(start))/float64(span)*float64(n)))-1)
		if lo <= hi {
			loads = append(loads, [2]int{lo, hi})
		}
	}
	if err := pgParallel(len(loads), pgLoadWorkers, func(i int) error {
		if _, err := s.pool.Exec(ctx, pgSyntheticInsertSQL, loads[i][0], loads[i][1], start, float64(n)); err != nil {
			return fmt.Errorf("loading rows %d..%d: %w", loads[i][0], loads[i][1], err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	loaded := time.Now()
	if err := pgRebuildIndexes(ctx, s, want); err != nil {
		t.Fatal(err)
	}
	indexed := time.Now()
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE audit_events`); err != nil {
		t.Fatal(err)
	}
	got := pgRequireCatalog(t, s, want, "the indexes after the bulk load differ from Migrate's")
	var count int
	var heap, idx string
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM audit_events`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("loaded %d rows, want %d", count, n)
	}
	if err := s.pool.QueryRow(ctx, `SELECT pg_size_pretty(sum(pg_table_size(inhrelid))), pg_size_pretty(sum(pg_indexes_size(inhrelid)))
		FROM pg_inherits WHERE inhparent = 'audit_events'::regclass`).Scan(&heap, &idx); err != nil {
		t.Fatal(err)
	}
	total := time.Since(began)
	t.Logf("loaded %d events over 30 days in %v (%.0f/s): insert %v, indexes %v, vacuum analyze %v; table %s + indexes %s; %d indexes as Migrate made them",
		n, total.Round(time.Second), float64(n)/total.Seconds(), loaded.Sub(began).Round(time.Second),
		indexed.Sub(loaded).Round(time.Second), time.Since(indexed).Round(time.Second), heap, idx, len(got))
}

// pgSyntheticDays are the days of the 30 before end that
// pgSyntheticInsertSQL spreads its events over, oldest first.
func pgSyntheticDays(end time.Time) []pgDay {
	var days []pgDay
	for d := pgDayOf(end.Add(-30 * 24 * time.Hour)); !d.start().After(end); d = d.next() {
		days = append(days, d)
	}
	return days
}

// pgMigrateCatalog migrates s, creates the partitions of days and returns
// the index catalogue Migrate made.
func pgMigrateCatalog(t testing.TB, s *PostgresSink, days []pgDay) []pgIndex {
	t.Helper()
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.ensurePartitions(ctx, days); err != nil {
		t.Fatal(err)
	}
	want, err := pgIndexCatalog(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// pgRequireCatalog returns the index catalogue of s, failing t with what
// and the difference when it is not want.
func pgRequireCatalog(t testing.TB, s *PostgresSink, want []pgIndex, what string) []pgIndex {
	t.Helper()
	got, err := pgIndexCatalog(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if d := pgCatalogDiff(want, got); d != "" {
		t.Fatalf("%s:\n%s", what, d)
	}
	return got
}

// pgIndex is one index of audit_events or a partition, as the catalogue
// describes it.
type pgIndex struct {
	name, table, def, parent string
	valid, constraint        bool
}

func (ix pgIndex) String() string {
	return fmt.Sprintf("%s on %s (parent %q, valid %v, constraint %v): %s", ix.name, ix.table, ix.parent, ix.valid, ix.constraint, ix.def)
}

// pgIndexCatalog lists the indexes on audit_events and its partitions by
// name: definition, validity, the index it is attached to, and whether a
// constraint owns it.
func pgIndexCatalog(ctx context.Context, s *PostgresSink) ([]pgIndex, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname, t.relname, pg_get_indexdef(c.oid), coalesce(p.relname, ''), i.indisvalid,
			EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
		LEFT JOIN pg_inherits h ON h.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = h.inhparent
		WHERE t.relname = 'audit_events' OR t.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'audit_events'::regclass)
		ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("listing indexes: %w", err)
	}
	defer rows.Close()
	var out []pgIndex
	for rows.Next() {
		var ix pgIndex
		if err := rows.Scan(&ix.name, &ix.table, &ix.def, &ix.parent, &ix.valid, &ix.constraint); err != nil {
			return nil, fmt.Errorf("listing indexes: %w", err)
		}
		out = append(out, ix)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing indexes: %w", err)
	}
	return out, nil
}

// pgCatalogDiff describes how two catalogues differ, "" when they match.
func pgCatalogDiff(want, got []pgIndex) string {
	w := map[string]pgIndex{}
	for _, ix := range want {
		w[ix.name] = ix
	}
	var diff []string
	for _, ix := range got {
		old, ok := w[ix.name]
		switch {
		case !ok:
			diff = append(diff, "+ "+ix.String())
		case old != ix:
			diff = append(diff, "- "+old.String(), "+ "+ix.String())
		}
		delete(w, ix.name)
	}
	for _, ix := range want {
		if _, ok := w[ix.name]; ok {
			diff = append(diff, "- "+ix.String())
		}
	}
	return strings.Join(diff, "\n")
}

// pgRebuildIndexes recreates the secondary indexes of want that are
// missing: each partitioned index ON ONLY the parent, then every
// partition's index from its own definition (pgLoadWorkers at a time),
// then attaches each to its parent, which makes the parent valid.
func pgRebuildIndexes(ctx context.Context, s *PostgresSink, want []pgIndex) error {
	have, err := pgIndexCatalog(ctx, s)
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, ix := range have {
		exists[ix.name] = true
	}
	var parents, children, attach []string
	for _, ix := range want {
		if exists[ix.name] {
			continue
		}
		if ix.parent == "" {
			if !strings.Contains(ix.def, " ON ONLY ") {
				return fmt.Errorf("index %s: expected a partitioned index definition, got %s", ix.name, ix.def)
			}
			parents = append(parents, ix.def)
			continue
		}
		children = append(children, ix.def)
		attach = append(attach, fmt.Sprintf("ALTER INDEX %s ATTACH PARTITION %s", ix.parent, ix.name))
	}
	if err := pgRunParallel(ctx, s, parents, 1); err != nil {
		return err
	}
	if err := pgRunParallel(ctx, s, children, pgLoadWorkers); err != nil {
		return err
	}
	return pgRunParallel(ctx, s, attach, 1)
}

// pgRunParallel runs each statement on the pool, workers at a time.
func pgRunParallel(ctx context.Context, s *PostgresSink, stmts []string, workers int) error {
	return pgParallel(len(stmts), workers, func(i int) error {
		if _, err := s.pool.Exec(ctx, stmts[i]); err != nil {
			return fmt.Errorf("%s: %w", stmts[i], err)
		}
		return nil
	})
}

// pgParallel calls f(0..n-1), workers at a time, and returns the first
// error (the remaining jobs are skipped once one fails).
func pgParallel(n, workers int, f func(int) error) error {
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= n {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}
