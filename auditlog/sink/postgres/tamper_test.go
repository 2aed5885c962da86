package postgres

import (
	"context"
	"crypto/ed25519"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// pgTxChain reads a chain through a test's transaction, so a tamper is
// verified and then rolled back.
type pgTxChain struct{ tx pgx.Tx }

func (c pgTxChain) ReadRecords(ctx context.Context, fn func(record.Record) error) error {
	_, _, err := pgReadRecords(ctx, c.tx, fn)
	return err
}

func (c pgTxChain) ReadCheckpoints(ctx context.Context) ([]record.Checkpoint, error) {
	return pgReadCheckpoints(ctx, c.tx)
}

// TestPostgresVerifyCatchesTampering runs randomized tamper trials on a
// chain stored by the sink in PostgreSQL: each trial edits the table in a
// transaction as a superuser would (triggers off), runs Verify over it and
// rolls back. Verify must name the first bad seq of the tampered chain,
// and find nothing wrong in an untouched second chain.
// OCOMMS_AUDIT_TAMPER_TRIALS sets the count (default 1000; 200 with -short).
func TestPostgresVerifyCatchesTampering(t *testing.T) {
	trials := 1000
	if testing.Short() {
		trials = 200
	}
	if v := os.Getenv("OCOMMS_AUDIT_TAMPER_TRIALS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("OCOMMS_AUDIT_TAMPER_TRIALS=%q", v)
		}
		trials = n
	}
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0)
	ctx := context.Background()
	key := logtest.TestKey(t)
	pub := key.Public().(ed25519.PublicKey)
	const n = 400
	day0 := pgDayOf(pgT0).start().AddDate(0, 0, -3)
	evs := make([]secevent.Event, n)
	for i := range evs {
		evs[i] = pgTestEvent(i+1, day0.Add(time.Duration(i)*864*time.Second)) // 100 a day over 4 days
	}
	recs := pgChain("edge-t", 1, [32]byte{}, evs)
	other := pgTestChain("edge-u", 1, 100, [32]byte{}, day0)
	if err := s.Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, other); err != nil {
		t.Fatal(err)
	}
	var external []record.Checkpoint
	for _, r := range append(recs, other...) {
		if r.Seq%50 == 0 || (r.Instance == "edge-t" && r.Seq == n) {
			cp := chain.Sign(record.Checkpoint{Instance: r.Instance, Seq: r.Seq, Hash: r.Hash, Time: r.Time}, key)
			if err := s.WriteCheckpoint(ctx, cp); err != nil {
				t.Fatal(err)
			}
			external = append(external, cp)
		}
	}
	// Untampered, the store verifies.
	rep, err := chain.Verify(ctx, s, pub)
	if err != nil || !rep.OK() || rep.Records != n+100 {
		t.Fatalf("clean store: %+v %v", rep, err)
	}

	conn := pgConn(t, url)
	seed := uint64(time.Now().UnixNano())
	rng := mrand.New(mrand.NewPCG(seed, 42))
	t.Logf("seed %d, %d trials", seed, trials)
	firstOfDay := func(d int) int {
		for _, r := range recs {
			if int(r.Time.Sub(day0)/(24*time.Hour)) == d {
				return int(r.Seq)
			}
		}
		return 0
	}
	nextCP := func(seq int) int { return min(n, (seq+49)/50*50) }
	counts := map[string]int{}
	for trial := 0; trial < trials; trial++ {
		k := 2 + rng.IntN(n-2) // 2..n-1
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		exec := func(sql string, args ...any) {
			t.Helper()
			if _, err := tx.Exec(ctx, sql, args...); err != nil {
				t.Fatalf("trial %d: %s: %v", trial, sql, err)
			}
		}
		exec(`SET LOCAL session_replication_role = replica`) // what a superuser can do: triggers off
		where := fmt.Sprintf("instance = 'edge-t' AND seq = %d", k)
		var (
			kind      string
			want                        = k
			reader    chain.ChainReader = pgTxChain{tx}
			otherGone bool              // the untouched chain lost rows too
		)
		switch rng.IntN(9) {
		case 0: // edit the data bytes
			kind = "update data"
			from, to := pgDataEdit(recs[k-1], rng)
			exec(`UPDATE audit_events SET data = convert_to(replace(convert_from(data, 'UTF8'), $1, $2), 'UTF8') WHERE `+where, from, to)
		case 1: // edit data, the matching column and recompute the hash: the link breaks at k+1
			kind = "update data+column+rehash"
			email := record.Sanitize(evs[k-1]).UserEmail
			exec(`UPDATE audit_events SET data = convert_to(replace(convert_from(data, 'UTF8'), $1, $2), 'UTF8'),
				email = $2 WHERE `+where, email, "x"+email)
			exec(`UPDATE audit_events SET hash = sha256(prev_hash || data) WHERE ` + where)
			if k%50 != 0 { // a checkpoint at k itself catches it at k
				want = k + 1
			}
		case 2: // rewrite the whole tail consistently: only a signed checkpoint catches it
			kind = "rewrite tail"
			exec(`UPDATE audit_events SET data = convert_to(replace(convert_from(data, 'UTF8'), 'test-agent', 'other-agent'), 'UTF8')
				WHERE instance = 'edge-t' AND seq >= $1`, k)
			rows, err := tx.Query(ctx, `SELECT seq, ts, data FROM audit_events WHERE instance = 'edge-t' AND seq >= $1 ORDER BY seq`, k)
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				seq  int64
				ts   time.Time
				data []byte
			}
			rs, err := pgx.CollectRows(rows, func(cr pgx.CollectableRow) (row, error) {
				var r row
				return r, cr.Scan(&r.seq, &r.ts, &r.data)
			})
			if err != nil {
				t.Fatal(err)
			}
			prev := recs[k-2].Hash
			var (
				seqs       []int64
				tss        []time.Time
				prevs, hss [][]byte
			)
			for _, r := range rs {
				h := record.ChainHash(prev, r.data)
				seqs, tss = append(seqs, r.seq), append(tss, r.ts)
				prevs, hss = append(prevs, append([]byte(nil), prev[:]...)), append(hss, h[:])
				prev = h
			}
			exec(`UPDATE audit_events e SET prev_hash = u.p, hash = u.h
				FROM unnest($1::bigint[], $2::timestamptz[], $3::bytea[], $4::bytea[]) AS u(seq, ts, p, h)
				WHERE e.instance = 'edge-t' AND e.seq = u.seq AND e.ts = u.ts`, seqs, tss, prevs, hss)
			want = nextCP(k)
		case 3: // one chain or index column
			col := []struct{ name, set string }{
				{"prev_hash", "gen_random_uuid()::text::bytea"}, // not even 32 bytes
				{"prev_hash", "sha256(prev_hash)"},
				{"hash", "sha256(hash)"},
				{"seq", "seq + 100000"},
				{"instance", "'edge-z'"},
				{"event_id", "gen_random_uuid()"},
				{"ts", "ts + interval '1 microsecond'"},
				{"action", "'sign_out'"},
				{"outcome", "CASE WHEN outcome = 'success' THEN 'failure' ELSE 'success' END"},
				{"user_id", "NULL"},
				{"email", "'someone.else@example.com'"},
				{"source_ip", "'198.51.100.99'"},
				{"status", "coalesce(status, 0) + 1"},
				{"detail_ok", "NOT detail_ok"},
				{"target_user", "'victim'"},
				{"user_name", "'someone'"},
			}[rng.IntN(16)]
			kind = "update " + col.name
			exec(`UPDATE audit_events SET ` + col.name + ` = ` + col.set + ` WHERE ` + where)
		case 4:
			kind = "delete"
			exec(`DELETE FROM audit_events WHERE ` + where)
		case 5: // a forged but well-formed record with an existing seq
			kind = "insert"
			forged := pgTestEvent(1_000_000+trial, recs[k-1].Time.Add(-time.Microsecond))
			fr := pgChain("edge-t", uint64(k), recs[k-2].Hash, []secevent.Event{forged})[0]
			row, err := toPGRow(fr)
			if err != nil {
				t.Fatal(err)
			}
			exec(pgInsertSQL, row.values()...)
			// The forgery links; the real k then repeats seq k, which
			// Verify names.
		case 6: // swap two records' seqs
			kind = "reorder"
			b := k + 1 + rng.IntN(min(50, n-k))
			exec(`UPDATE audit_events SET seq = -1 WHERE ` + where)
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = %d WHERE instance = 'edge-t' AND seq = %d`, k, b))
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = %d WHERE instance = 'edge-t' AND seq = -1`, b))
		case 7: // drop a day outside retention (no retention checkpoint)
			d := rng.IntN(4)
			kind = fmt.Sprintf("drop partition %d", d)
			exec(`DROP TABLE ` + pgDayOf(day0.AddDate(0, 0, d)).partition())
			want = firstOfDay(d)
			otherGone = d == 0
			if d == 0 {
				want = 1
			}
		case 8: // cut the tail, and its checkpoints in the database too
			kind = "truncate tail"
			exec(`DELETE FROM audit_events WHERE instance = 'edge-t' AND seq >= $1`, k)
			if rng.IntN(2) == 0 {
				kind = "truncate tail and its db checkpoints"
				exec(`DELETE FROM audit_checkpoints WHERE instance = 'edge-t' AND seq >= $1`, k)
				reader = chain.WithCheckpoints(reader, external)
			}
		}
		rep, err := chain.Verify(ctx, reader, pub)
		if err != nil {
			t.Fatalf("trial %d (%s at %d): %v", trial, kind, k, err)
		}
		ir, _ := rep.Instance("edge-t")
		if int(ir.FirstBad) != want {
			t.Fatalf("trial %d (%s at %d): Verify names seq %d (%s: %s); want %d", trial, kind, k, ir.FirstBad, ir.Kind, ir.Detail, want)
		}
		if iu, _ := rep.Instance("edge-u"); iu.FirstBad != 0 && !otherGone {
			t.Fatalf("trial %d (%s): the untouched chain is reported bad at %d", trial, kind, iu.FirstBad)
		}
		counts[kind]++
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("all %d trials caught, first bad seq named: %v", trials, counts)
}

// pgDataEdit picks a substring of the record's data and a replacement of
// the same kind, so the edited data is still valid JSON an attacker might
// write (another email, IP, action or outcome).
func pgDataEdit(r record.Record, rng *mrand.Rand) (string, string) {
	ev, err := record.UnmarshalEvent(r.Data)
	if err != nil {
		panic(err)
	}
	switch rng.IntN(4) {
	case 0:
		return ev.UserEmail, "x" + ev.UserEmail
	case 1:
		return ev.SourceIP, "192.0.2.1"
	case 2:
		return `"` + string(ev.Action) + `"`, `"sign_out"`
	default:
		return `"test-agent/1.0"`, `"curl/8.0"`
	}
}
