package postgres

import (
	"context"
	"crypto/ed25519"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestPostgresWriteIsIdempotent writes a batch, replays it (and an
// overlapping one), and expects each record once: the 23505 path after an
// ambiguous commit, taken for real because COPY meets the stored keys.
func TestPostgresWriteIsIdempotent(t *testing.T) {
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0, func(c *PostgresConfig) { c.BatchSize = 300 })
	ctx := context.Background()
	recs := pgTestChain("edge-a", 1, 1000, [32]byte{}, pgT0)
	if err := s.Write(ctx, recs[:600]); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, recs[:600]); err != nil {
		t.Fatalf("replaying a stored batch: %v", err)
	}
	if err := s.Write(ctx, recs[400:]); err != nil {
		t.Fatalf("replaying an overlapping batch: %v", err)
	}
	c := pgConn(t, url)
	if k := pgCounts(t, c, "edge-a"); k.Rows != 1000 || k.Distinct != 1000 || k.Span != 1000 {
		t.Fatalf("after replays: %+v; want 1000 rows, 1000 distinct, span 1000", k)
	}
	var conflicts int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM audit_conflicts`).Scan(&conflicts); err != nil {
		t.Fatal(err)
	}
	if conflicts != 0 {
		t.Fatalf("%d conflicts recorded for identical replays", conflicts)
	}
}

// TestPostgresForkedRecordIsKeptAsEvidence replays a seq with other bytes:
// the stored row stays, the other version lands in audit_conflicts, and
// the write succeeds (the pipeline does not wedge).
func TestPostgresForkedRecordIsKeptAsEvidence(t *testing.T) {
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0)
	ctx := context.Background()
	recs := pgTestChain("edge-f", 1, 10, [32]byte{}, pgT0)
	if err := s.Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
	forged := recs[4]
	ev := *forged.Event
	ev.UserEmail = "mallory@example.com"
	forged.Data = pgEncode(ev)
	forged.Hash = record.ChainHash(forged.PrevHash, forged.Data)
	forged.Event = &ev
	if err := s.Write(ctx, []record.Record{recs[3], forged, recs[5]}); err != nil {
		t.Fatalf("write with a forked record: %v", err)
	}
	c := pgConn(t, url)
	var stored, kept string
	if err := c.QueryRow(ctx, `SELECT email FROM audit_events WHERE instance = 'edge-f' AND seq = 5`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT convert_from(data, 'UTF8')::jsonb->'user'->>'email' FROM audit_conflicts WHERE instance = 'edge-f' AND seq = 5`).Scan(&kept); err != nil {
		t.Fatalf("conflict not kept: %v", err)
	}
	if stored == "mallory@example.com" || kept != "mallory@example.com" {
		t.Fatalf("stored %q, kept %q", stored, kept)
	}
	if k := pgCounts(t, c, "edge-f"); k.Rows != 10 {
		t.Fatalf("rows %+v", k)
	}
}

// TestPostgresHostileInputCannotWedge writes records whose indexed fields
// would each make a naive insert fail (NUL, invalid UTF-8, an email far
// beyond a btree entry, a bad IP and id, Data jsonb refuses): every
// record is stored and Data is kept byte for byte.
func TestPostgresHostileInputCannotWedge(t *testing.T) {
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0)
	ctx := context.Background()
	evs := []secevent.Event{
		{ID: "not-a-uuid", Action: secevent.ActionSignInFailed, Outcome: secevent.OutcomeFailure, UserEmail: strings.Repeat("a", 10000) + "@x.example", SourceIP: "999.1.1.1"},
		{ID: "00000000-0000-4000-8000-000000000002", Action: "bad\x00action", UserID: "id\xff\xfe", SourceIP: "fe80::1%eth0"},
		{ID: "00000000-0000-4000-8000-000000000003", Action: secevent.ActionSignInFailed, UserEmail: "nul\x00@example.com", SourceIP: "::ffff:198.51.100.7"},
	}
	for i := range evs {
		evs[i].Time = pgT0.Add(time.Duration(i) * time.Second)
	}
	recs := pgChain("edge-h", 1, [32]byte{}, evs)
	// Data that is not JSON at all, JSON that jsonb refuses, and a
	// decodable document whose values were never sanitized.
	raw := `{"@timestamp":"2026-11-20T10:00:00.000001Z","event":{"action":"sign_in_failed\u0000x","id":"zz","outcome":"failure"},` +
		`"user":{"email":"` + strings.Repeat("B", 9000) + `@x","id":"\udc00bad"},"source":{"ip":"1.2.3.4"}}`
	recs = append(recs, record.Record{Instance: "edge-h", Seq: 4, Time: pgT0, Data: []byte("\xff not json")},
		record.Record{Instance: "edge-h", Seq: 5, Time: pgT0, Data: []byte(`{"a":"\u0000","b":"\ud800"}`)},
		record.Record{Instance: "edge-h", Seq: 6, Time: pgT0, Data: []byte(raw)})
	if err := s.Write(ctx, recs); err != nil {
		t.Fatalf("hostile records wedge the sink: %v", err)
	}
	var got []record.Record
	if err := s.ReadRecords(ctx, func(r record.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("read %d records; want %d", len(got), len(recs))
	}
	for i, r := range got {
		if string(r.Data) != string(recs[i].Data) || r.Hash != recs[i].Hash || r.PrevHash != recs[i].PrevHash {
			t.Fatalf("record %d not stored verbatim", i+1)
		}
	}
	c := pgConn(t, url)
	var ip string
	if err := c.QueryRow(ctx, `SELECT host(source_ip) FROM audit_events WHERE instance = 'edge-h' AND seq = 3`).Scan(&ip); err != nil || ip != "198.51.100.7" {
		t.Fatalf("mapped address stored as %q (%v); want 198.51.100.7", ip, err)
	}
}

// TestPostgresPartitionsAndRetention: old-dated replays get a partition on
// demand, days ahead exist, retention drops only after a signed cut is
// stored, and the cut is at the highest dropped seq + 1.
func TestPostgresPartitionsAndRetention(t *testing.T) {
	url := sharedPGURL(t)
	now := pgT0
	var cuts []RetentionCut
	s := pgNewSink(t, url, now, func(c *PostgresConfig) {
		c.RetentionDays = 10
		c.PartitionsAhead = 2
		c.RetentionCheckpoint = func(_ context.Context, cut RetentionCut) (record.Checkpoint, error) {
			cuts = append(cuts, cut)
			return record.Checkpoint{Instance: cut.Instance, Seq: cut.Seq, PrevHash: cut.PrevHash, Hash: cut.PrevHash,
				Time: now, Retention: true, PublicKey: []byte("pk"), Signature: []byte("sig")}, nil
		}
	})
	ctx := context.Background()
	// 30 records, one per day, from 20 days ago to 9 days ago.
	evs := make([]secevent.Event, 30)
	for i := range evs {
		evs[i] = pgTestEvent(i, now.AddDate(0, 0, -20).Add(time.Duration(i)*9*time.Hour))
	}
	recs := pgChain("edge-r", 1, [32]byte{}, evs)
	if err := s.Write(ctx, recs); err != nil {
		t.Fatalf("old-dated write: %v", err)
	}
	parts, err := s.listPartitions(ctx, s.pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Time{now.AddDate(0, 0, -20), now, now.AddDate(0, 0, 2)} {
		if !parts[pgDayOf(d)] {
			t.Fatalf("no partition for %s (have %v)", pgDayOf(d).partition(), parts)
		}
	}
	dropped, err := s.ApplyRetention(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keepFrom := pgDayOf(now).start().AddDate(0, 0, -9)
	var lastDropped record.Record
	for _, r := range recs {
		if r.Time.Before(keepFrom) {
			lastDropped = r
		}
	}
	if len(dropped) == 0 || len(cuts) != 1 || cuts[0].Seq != lastDropped.Seq+1 || cuts[0].PrevHash != lastDropped.Hash {
		t.Fatalf("dropped %v, cuts %+v; want a cut at %d", dropped, cuts, lastDropped.Seq+1)
	}
	c := pgConn(t, url)
	k := pgCounts(t, c, "edge-r")
	if k.Min != int64(lastDropped.Seq+1) || k.Max != 30 || k.Rows != k.Span {
		t.Fatalf("after retention %+v; want seqs %d..30", k, lastDropped.Seq+1)
	}
	cps, err := s.ReadCheckpoints(ctx)
	if err != nil || len(cps) != 1 || !cps[0].Retention || cps[0].Seq != cuts[0].Seq || !cps[0].Time.Equal(now) {
		t.Fatalf("checkpoints %+v %v", cps, err)
	}
	// A second run finds nothing to do.
	if again, err := s.ApplyRetention(ctx); err != nil || len(again) != 0 || len(cuts) != 1 {
		t.Fatalf("second retention run: %v %v (%d cuts)", again, err, len(cuts))
	}
}

// TestPostgresRetentionKeepsTheChainVerifiable drops old days with the
// pipeline's key configured: Verify accepts the chain from the cut, and
// still catches a record deleted after it.
func TestPostgresRetentionKeepsTheChainVerifiable(t *testing.T) {
	url := sharedPGURL(t)
	key := logtest.TestKey(t)
	pub := key.Public().(ed25519.PublicKey)
	s := pgNewSink(t, url, pgT0, func(c *PostgresConfig) { c.RetentionDays = 3; c.SigningKey = key })
	ctx := context.Background()
	evs := make([]secevent.Event, 100)
	for i := range evs {
		evs[i] = pgTestEvent(i, pgT0.AddDate(0, 0, -6).Add(time.Duration(i)*time.Hour))
	}
	recs := pgChain("edge-v", 1, [32]byte{}, evs)
	if err := s.Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if dropped, err := s.ApplyRetention(ctx); err != nil || len(dropped) == 0 {
		t.Fatalf("retention: %v %v", dropped, err)
	}
	rep, err := chain.Verify(ctx, s, pub)
	ir, _ := rep.Instance("edge-v")
	if err != nil || !rep.OK() || ir.RetainedFrom == 0 || ir.Last != 100 {
		t.Fatalf("after retention: %+v %+v %v", ir, rep.Problems, err)
	}
	c := pgConn(t, url)
	if _, err := c.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `DELETE FROM audit_events WHERE instance = 'edge-v' AND seq = $1`, ir.RetainedFrom+5); err != nil {
		t.Fatal(err)
	}
	rep, err = chain.Verify(ctx, s, pub)
	if ir2, _ := rep.Instance("edge-v"); err != nil || ir2.FirstBad != ir.RetainedFrom+5 {
		t.Fatalf("deletion after the cut: %+v %v", ir2, err)
	}
}

// TestPostgresRetentionNeedsASigner: without a signer nothing is dropped.
func TestPostgresRetentionNeedsASigner(t *testing.T) {
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0, func(c *PostgresConfig) { c.RetentionDays = 1 })
	ctx := context.Background()
	if err := s.Write(ctx, pgTestChain("edge-n", 1, 5, [32]byte{}, pgT0.AddDate(0, 0, -5))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRetention(ctx); err == nil {
		t.Fatal("retention without a signer did not refuse")
	}
	if k := pgCounts(t, pgConn(t, url), "edge-n"); k.Rows != 5 {
		t.Fatalf("rows dropped without a checkpoint: %+v", k)
	}
}

// TestPostgresConcurrentMigrations starts several sinks on an empty
// database at once: the advisory lock serializes them, all succeed.
func TestPostgresConcurrentMigrations(t *testing.T) {
	url := sharedPGURL(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		s := pgNewSink(t, url, pgT0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Write(context.Background(), pgTestChain("edge-m"+string(rune('a'+i)), 1, 50, [32]byte{}, pgT0))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sink %d: %v", i, err)
		}
	}
	var versions int
	if err := pgConn(t, url).QueryRow(context.Background(), `SELECT count(*) FROM audit_schema_version`).Scan(&versions); err != nil || versions != len(postgresMigrations) {
		t.Fatalf("schema versions %d (%v); want %d", versions, err, len(postgresMigrations))
	}
}

// TestPostgresAppendOnly: UPDATE, DELETE and TRUNCATE are refused by the
// triggers (for a role that is not a superuser willing to disable them);
// audit_events_json shows data as jsonb.
func TestPostgresAppendOnly(t *testing.T) {
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0)
	ctx := context.Background()
	if err := s.Write(ctx, pgTestChain("edge-x", 1, 3, [32]byte{}, pgT0)); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteCheckpoint(ctx, record.Checkpoint{Instance: "edge-x", Seq: 3, Time: pgT0}); err != nil {
		t.Fatal(err)
	}
	c := pgConn(t, url)
	for _, sql := range []string{
		`UPDATE audit_events SET email = 'x' WHERE seq = 2`,
		`DELETE FROM audit_events WHERE seq = 2`,
		`TRUNCATE audit_events`,
		`TRUNCATE ` + pgDayOf(pgT0).partition(),
		`UPDATE audit_checkpoints SET seq = 9`,
		`DELETE FROM audit_checkpoints`,
		`TRUNCATE audit_checkpoints`,
	} {
		if _, err := c.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v; want refused as append-only", sql, err)
		}
	}
	var email string
	if err := c.QueryRow(ctx, `SELECT detail->'user'->>'email' FROM audit_events_json WHERE instance = 'edge-x' AND seq = 2`).Scan(&email); err != nil || email != "user2@example.com" {
		t.Fatalf("audit_events_json: %q %v", email, err)
	}
	if k := pgCounts(t, c, "edge-x"); k.Rows != 3 {
		t.Fatalf("rows %+v", k)
	}
}
