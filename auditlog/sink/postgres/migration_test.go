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
	end := pgT0
	start := end.Add(-30 * 24 * time.Hour)
	days := pgSyntheticDays(end)
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
	want := pgMigrateCatalog(t, pgNewSink(t, sharedPGURL(t), end), days)
	pgRequireCatalog(t, s, want, "indexes after the upgrade differ from a fresh database's")
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
