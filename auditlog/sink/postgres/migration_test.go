package postgres

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/query"
)

// TestPostgresMigratesVersion1 upgrades a database holding events at
// schema version 1: Migrate brings it to the latest version with the
// indexes a fresh database gets, and the pivots answer as before.
func TestPostgresMigratesVersion1(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	start := end.Add(-30 * 24 * time.Hour)
	var days []pgDay
	for d := pgDayOf(start); !d.start().After(end); d = d.next() {
		days = append(days, d)
	}
	url := sharedPGURL(t)
	c := pgConn(t, url)
	for _, sql := range []string{
		`CREATE TABLE audit_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
		postgresMigrations[0],
		`INSERT INTO audit_schema_version (version) VALUES (1)`,
	} {
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatalf("setting up version 1: %v", err)
		}
	}
	old := pgNewSink(t, url, end)
	if err := old.ensurePartitions(ctx, days); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	if _, err := old.pool.Exec(ctx, pgSyntheticInsertSQL, 1, n, start, float64(n)); err != nil {
		t.Fatal(err)
	}
	accounts := []string{"user42@example.com", "USER42@example.com", "u42"}
	before := make([][]query.Pivot, len(accounts))
	for i, a := range accounts {
		p, err := old.IPsForAccount(ctx, a, start, end)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			t.Fatalf("IPs for %s: none at version 1: the case proves nothing", a)
		}
		before[i] = p
	}

	s := pgNewSink(t, url, end)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrating from version 1: %v", err)
	}
	var version int
	if err := c.QueryRow(ctx, `SELECT max(version) FROM audit_schema_version`).Scan(&version); err != nil || version != len(postgresMigrations) {
		t.Fatalf("schema version %d (%v), want %d", version, err, len(postgresMigrations))
	}
	fresh := pgNewSink(t, sharedPGURL(t), end)
	if err := fresh.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fresh.ensurePartitions(ctx, days); err != nil {
		t.Fatal(err)
	}
	want, err := pgIndexCatalog(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgIndexCatalog(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if d := pgCatalogDiff(want, got); d != "" {
		t.Fatalf("indexes after the upgrade differ from a fresh database's:\n%s", d)
	}
	for i, a := range accounts {
		p, err := s.IPsForAccount(ctx, a, start, end)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, before[i]) {
			t.Fatalf("IPs for %s changed across the upgrade:\nbefore %+v\nafter  %+v", a, before[i], p)
		}
	}
}
