package postgres

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestPostgresColumnCheckBinaryForms: the chain read compares the indexed
// columns as PostgreSQL stores them, not as text. An IPv6 address with an
// embedded IPv4 tail (::1.2.3.4, which Go writes ::102:304 and PostgreSQL
// prints ::1.2.3.4) verifies; edits that only show in the binary form (a
// shorter mask, the IPv4-mapped twin of an address, a NULL event id or
// status) are each named at their seq.
func TestPostgresColumnCheckBinaryForms(t *testing.T) {
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0)
	ctx := context.Background()
	pub := logtest.TestKey(t).Public().(ed25519.PublicKey)
	ips := []string{"::1.2.3.4", "203.0.113.7", "2001:db8::1", "::ffff:198.51.100.3", "::", "0.0.0.0"}
	evs := make([]secevent.Event, 12)
	for i := range evs {
		evs[i] = pgTestEvent(i+1, pgT0.Add(time.Duration(i)*time.Second))
		evs[i].SourceIP = ips[i%len(ips)]
	}
	if err := s.Write(ctx, pgChain("edge-b", 1, [32]byte{}, evs)); err != nil {
		t.Fatal(err)
	}
	rep, err := chain.Verify(ctx, s, pub)
	if err != nil || !rep.OK() || rep.Records != len(evs) {
		t.Fatalf("untouched chain: %+v, %v", rep, err)
	}

	conn := pgConn(t, url)
	for _, tc := range []struct {
		seq int
		set string
	}{
		{2, "source_ip = set_masklen(source_ip, 24)"},           // 203.0.113.7/24
		{8, "source_ip = ('::ffff:' || host(source_ip))::inet"}, // 203.0.113.7 as IPv4-mapped IPv6
		{1, "source_ip = '::1.2.3.5'"},
		{3, "source_ip = set_masklen(source_ip, 64)"},
		{5, "event_id = NULL"},
		{6, "status = NULL"},
		{7, "user_name = ''"}, // empty text is not NULL
		{9, "ts = ts + interval '1 microsecond'"},
	} {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE audit_events SET `+tc.set+` WHERE instance = 'edge-b' AND seq = $1`, tc.seq); err != nil {
			t.Fatalf("%s: %v", tc.set, err)
		}
		rep, err := chain.Verify(ctx, pgTxChain{tx}, pub)
		if err != nil {
			t.Fatalf("%s: %v", tc.set, err)
		}
		if ir, _ := rep.Instance("edge-b"); int(ir.FirstBad) != tc.seq || ir.Kind != chain.TamperHash {
			t.Errorf("%s at seq %d: Verify names seq %d (%s)", tc.set, tc.seq, ir.FirstBad, ir.Kind)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPostgresChainFieldsAndTime: the binary decoding refuses columns of
// another type or in text, and reads timestamptz as PostgreSQL does, with
// ±infinity as no instant.
func TestPostgresChainFieldsAndTime(t *testing.T) {
	fds := make([]pgconn.FieldDescription, pgcCount)
	for i := range fds {
		fds[i] = pgconn.FieldDescription{Name: fmt.Sprint("c", i), DataTypeOID: pgChainOIDs[i], Format: pgtype.BinaryFormatCode}
	}
	if err := pgCheckChainFields(fds); err != nil {
		t.Fatalf("the expected columns: %v", err)
	}
	for _, mod := range []func([]pgconn.FieldDescription) []pgconn.FieldDescription{
		func(f []pgconn.FieldDescription) []pgconn.FieldDescription {
			f[pgcSourceIP].DataTypeOID = pgtype.TextOID
			return f
		},
		func(f []pgconn.FieldDescription) []pgconn.FieldDescription {
			f[pgcData].Format = pgtype.TextFormatCode
			return f
		},
		func(f []pgconn.FieldDescription) []pgconn.FieldDescription { return f[:pgcCount-1] },
	} {
		if err := pgCheckChainFields(mod(slices.Clone(fds))); err == nil {
			t.Error("a changed column was accepted")
		}
	}
	for _, tc := range []struct {
		us   int64
		want time.Time
		ok   bool
	}{
		{0, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{-1, time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC), true},
		{pgT0.UnixMicro() - pgMicrosToUnixEpoch, pgT0, true},
		{math.MaxInt64, time.Time{}, false},
		{math.MinInt64, time.Time{}, false},
	} {
		got, ok := pgTimeFromMicros(tc.us)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("pgTimeFromMicros(%d) = %v, %v; want %v, %v", tc.us, got, ok, tc.want, tc.ok)
		}
	}
}
