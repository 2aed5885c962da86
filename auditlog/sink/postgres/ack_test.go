package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
)

// pgConflictCount is the number of rows kept in audit_conflicts.
func pgConflictCount(t testing.TB, c *pgx.Conn) int {
	t.Helper()
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM audit_conflicts`).Scan(&n); err != nil {
		t.Fatalf("counting conflicts: %v", err)
	}
	return n
}

// TestPostgresLostCopyAckThenReplay is the ambiguous commit at the level
// of one Write: the server commits the third COPY of a 250-record Write
// (50 rows) but its acknowledgement is cut, so Write fails although all
// 250 rows are stored. Writing the first 1,000 records then succeeds: two
// batches stored whole and one stored half take the 23505 replay path,
// and each record is stored once.
func TestPostgresLostCopyAckThenReplay(t *testing.T) {
	srv := startPGServer(t, "ack")
	proxy := newPGAckCutter(t, srv.Port, 3)
	s := pgNewSink(t, proxy.URL("ack"), pgT0, func(c *PostgresConfig) {
		c.BatchSize = 100
		c.WriteTimeout = 10 * time.Second
	})
	ctx := context.Background()
	recs := pgTestChain("edge-ack", 1, 1000, [32]byte{}, pgT0)

	if err := s.Write(ctx, recs[:250]); err == nil {
		t.Fatalf("Write succeeded although the proxy cut a COPY acknowledgement (cuts %v, acks %d)", proxy.Cuts(), proxy.Acks())
	} else {
		t.Logf("write with a lost acknowledgement: %v", err)
	}
	if cuts := proxy.Cuts(); len(cuts) != 1 || cuts[0] != "COPY 50" {
		t.Fatalf("proxy cut %q, want [COPY 50] (the third batch)", cuts)
	}
	c := pgConn(t, srv.URL("ack"))
	if k := pgCounts(t, c, "edge-ack"); k.Rows != 250 || k.Distinct != 250 || k.Max != 250 {
		t.Fatalf("after the cut: %+v; want the 250 rows committed (the lost acknowledgement's batch included)", k)
	}
	if n := s.replays.Load(); n != 0 {
		t.Fatalf("%d replays before any duplicate", n)
	}

	if err := s.Write(ctx, recs); err != nil {
		t.Fatalf("retrying after the lost acknowledgement: %v", err)
	}
	if n := s.replays.Load(); n != 3 {
		t.Errorf("%d batches took the 23505 replay path, want 3 (1-100, 101-200, 201-300)", n)
	}
	if k := pgCounts(t, c, "edge-ack"); k.Rows != 1000 || k.Distinct != 1000 || k.Span != 1000 || k.Min != 1 {
		t.Errorf("after the retry: %+v; want 1000 rows, 1000 distinct, seq 1..1000", k)
	}
	if n := pgConflictCount(t, c); n != 0 {
		t.Errorf("%d conflicts recorded for identical replays", n)
	}
	if err := proxy.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresNoLossWhenCopyAckIsLost is the pipeline's proof for issue 4
// ("no event is lost or duplicated") at the ambiguous commit: a proxy
// cuts the connection after PostgreSQL committed the 1st, 3rd and 7th
// COPY batches and before the edge read the acknowledgements. The
// pipeline retries each failed Write, the retries meet the stored rows
// (23505) and replay them, and the run ends with rows = produced, seq
// 1..N without a gap, no (instance, seq) twice, no conflict kept, and a
// chain that verifies with its signed checkpoints.
func TestPostgresNoLossWhenCopyAckIsLost(t *testing.T) {
	const produced = 5000
	cutAt := []int{1, 3, 7}
	srv := startPGServer(t, "ack")
	proxy := newPGAckCutter(t, srv.Port, cutAt...)
	sink := pgNewSink(t, proxy.URL("ack"), time.Now(), func(c *PostgresConfig) {
		c.BatchSize = 100 // several COPYs per Write: cuts land mid-Write too
		c.WriteTimeout = 10 * time.Second
		c.Now = time.Now
	})
	p, pub := pgPipeline(t, "edge-ack", sink, 20*time.Millisecond, 250*time.Millisecond)
	start := time.Now()
	for i := range produced { // 100 events every 10 ms: many batches
		p.Emit(pgTestEvent(i, time.Now()))
		if i%100 == 99 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("closing the pipeline (draining to Postgres): %v", err)
	}
	st := p.Stats()
	t.Logf("produced %d and drained in %v: COPY acks %d, cut %q, sink errors %d (last: %s), 23505 replays %d",
		produced, time.Since(start).Round(time.Millisecond), proxy.Acks(), proxy.Cuts(), st.Sinks[0].Errors,
		st.Sinks[0].LastError, sink.replays.Load())

	if err := proxy.Err(); err != nil {
		t.Fatal(err)
	}
	if cuts := proxy.Cuts(); len(cuts) != len(cutAt) {
		t.Fatalf("the proxy cut %d acknowledgements (%q of %d seen), want %d: the fault did not happen",
			len(cuts), cuts, proxy.Acks(), len(cutAt))
	}
	// The checks below are independent: report every one that fails.
	if st.Sinks[0].Errors < uint64(len(cutAt)) {
		t.Errorf("%d failed writes for %d lost acknowledgements", st.Sinks[0].Errors, len(cutAt))
	}
	if n := sink.replays.Load(); n < int64(len(cutAt)) {
		t.Errorf("%d batches replayed after 23505, want at least %d (each cut batch was committed)", n, len(cutAt))
	}
	if st.Dropped != 0 || st.LastSeq != produced || st.Sinks[0].DeliveredSeq != produced {
		t.Errorf("pipeline: produced %d, last seq %d, delivered %d, dropped %d",
			produced, st.LastSeq, st.Sinks[0].DeliveredSeq, st.Dropped)
	}

	c := pgConn(t, srv.URL("ack"))
	k := pgCounts(t, c, "edge-ack")
	if k.Rows != produced || k.Distinct != k.Rows || k.Span != k.Rows || k.Min != 1 || k.Max != produced {
		t.Errorf("loss or duplication: produced %d, stored %+v (want rows = distinct = span = %d, seq 1..%d)",
			produced, k, produced, produced)
	}
	if n := pgConflictCount(t, c); n != 0 {
		t.Errorf("%d conflicts kept: a replayed record did not match its stored row", n)
	}
	verifier := pgNewSink(t, srv.URL("ack"), time.Now())
	rep, err := chain.Verify(context.Background(), verifier, pub)
	if err != nil || !rep.OK() || rep.Checkpoints == 0 || rep.Records != produced {
		t.Errorf("chain: %d records, %d checkpoints, problems %v, err %v", rep.Records, rep.Checkpoints, rep.Problems, err)
	}
}
