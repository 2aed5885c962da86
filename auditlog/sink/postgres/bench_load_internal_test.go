package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/query"
)

// TestPGLoadSyntheticMatchesMigrate checks the benchmark's bulk load: the
// rows and their spread are what pgSyntheticInsertSQL promises and the
// indexes it rebuilt are exactly those Migrate makes on a database that
// never dropped them.
func TestPGLoadSyntheticMatchesMigrate(t *testing.T) {
	ctx := context.Background()
	end := pgT0
	const n = 20000
	loaded := pgNewSink(t, sharedPGURL(t), end)
	pgLoadSynthetic(t, loaded, n, end)

	days := pgSyntheticDays(end)
	want := pgMigrateCatalog(t, pgNewSink(t, sharedPGURL(t), end), days)
	if len(want) < 9*len(days) {
		t.Fatalf("Migrate made %d indexes for %d partitions, want at least 9 each", len(want), len(days))
	}
	pgRequireCatalog(t, loaded, want, "bulk-loaded indexes differ from Migrate's")

	var rows, users, ips, admin, failures int
	var first, last time.Time
	if err := loaded.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT user_id), count(DISTINCT source_ip),
		count(*) FILTER (WHERE action = 'admin_action'), count(*) FILTER (WHERE outcome = 'failure'), min(ts), max(ts)
		FROM audit_events`).Scan(&rows, &users, &ips, &admin, &failures, &first, &last); err != nil {
		t.Fatal(err)
	}
	if rows != n || users != 5000 || admin != n/20 || failures != n*8/20 {
		t.Errorf("rows %d users %d admin %d failures %d, want %d, 5000, %d, %d", rows, users, admin, failures, n, n/20, n*8/20)
	}
	if ips < n*9/10 {
		t.Errorf("%d distinct IPs in %d rows, want nearly one each", ips, n)
	}
	if lo := end.Add(-30 * 24 * time.Hour); first.Before(lo) || first.After(lo.Add(time.Hour)) || last.After(end) || last.Before(end.Add(-time.Hour)) {
		t.Errorf("events span %v..%v, want the 30 days before %v", first, last, end)
	}
	p, err := loaded.Query(ctx, query.Filter{UserID: "u42", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 4 || p.Events[0].UserEmail != "user42@example.com" {
		t.Errorf("user u42: %d events (want 4 of %d/5000), first %+v", len(p.Events), n, p.Events)
	}
}
