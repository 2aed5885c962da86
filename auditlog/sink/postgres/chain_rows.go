package postgres

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// pgChainSQL reads every chain in order. The columns come back in binary
// (see pgReadRecords) and are decoded by pgReadBatch.
const pgChainSQL = `SELECT instance, seq, ts, data, prev_hash, hash,
	event_id, action, outcome, user_id, email, user_name, target_user, target_email, source_ip, status, detail_ok
	FROM audit_events ORDER BY instance, seq, ts`

// The columns of pgChainSQL, in order.
const (
	pgcInstance = iota
	pgcSeq
	pgcTS
	pgcData
	pgcPrevHash
	pgcHash
	pgcEventID
	pgcAction
	pgcOutcome
	pgcUserID
	pgcEmail
	pgcUserName
	pgcTargetUser
	pgcTargetEmail
	pgcSourceIP
	pgcStatus
	pgcDetailOK
	pgcCount
)

// pgChainOIDs are the types the binary decoding below assumes.
var pgChainOIDs = [pgcCount]uint32{
	pgtype.TextOID, pgtype.Int8OID, pgtype.TimestamptzOID, pgtype.ByteaOID, pgtype.ByteaOID, pgtype.ByteaOID,
	pgtype.UUIDOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID,
	pgtype.TextOID, pgtype.TextOID, pgtype.InetOID, pgtype.Int4OID, pgtype.BoolOID,
}

// pgCheckChainFields refuses a result whose columns are not the types and
// format the decoding assumes (a schema this edge does not know).
func pgCheckChainFields(fds []pgconn.FieldDescription) error {
	if len(fds) != pgcCount {
		return fmt.Errorf("chain query returned %d columns, want %d", len(fds), pgcCount)
	}
	for i, fd := range fds {
		if fd.DataTypeOID != pgChainOIDs[i] || fd.Format != pgtype.BinaryFormatCode {
			return fmt.Errorf("column %s has type oid %d format %d, want oid %d in binary", fd.Name, fd.DataTypeOID, fd.Format, pgChainOIDs[i])
		}
	}
	return nil
}

const (
	// pgReadBatchSize is how many rows a worker checks at a time.
	pgReadBatchSize = 1024
	// pgReadArenaFlush hands a batch on early when its rows are large.
	pgReadArenaFlush = 4 << 20
)

// pgSpan is where a raw column value sits in a batch's arena; n < 0 is
// NULL.
type pgSpan struct{ off, n int32 }

// pgReadBatch is a run of rows as received (raw binary values copied into
// one arena), decoded and checked by a worker, emitted in order.
type pgReadBatch struct {
	arena []byte
	rows  [][pgcCount]pgSpan
	recs  []record.Record
	done  chan struct{}
	err   error
	bad   int
	first record.Record
}

func newPGReadBatch() *pgReadBatch {
	return &pgReadBatch{
		arena: make([]byte, 0, pgReadBatchSize*768),
		rows:  make([][pgcCount]pgSpan, 0, pgReadBatchSize),
		done:  make(chan struct{}),
	}
}

// add copies one row's raw values (the reader's buffer is reused).
func (b *pgReadBatch) add(vals [][]byte) {
	var row [pgcCount]pgSpan
	for i := range row {
		if i >= len(vals) || vals[i] == nil {
			row[i] = pgSpan{int32(len(b.arena)), -1}
			continue
		}
		row[i] = pgSpan{int32(len(b.arena)), int32(len(vals[i]))}
		b.arena = append(b.arena, vals[i]...)
	}
	b.rows = append(b.rows, row)
}

// val is a raw value, nil for NULL; it aliases the arena, which is never
// reused, and its capacity ends where it does.
func (b *pgReadBatch) val(s pgSpan) []byte {
	if s.n < 0 {
		return nil
	}
	return b.arena[s.off : s.off+s.n : s.off+s.n]
}

// pgStoredCols are a row's derived columns as stored, raw binary values
// (nil: NULL).
type pgStoredCols struct {
	eventID, action, outcome, userID, email, userName, tUser, tEmail, sourceIP, status, detailOK []byte
	// tsOK is false for a ts that is no instant (±infinity or out of
	// range): no record derives it.
	tsOK bool
}

// check decodes the batch's rows into records, derives each row's columns
// from its data again and marks the rows whose stored columns differ.
func (b *pgReadBatch) check() {
	b.recs = make([]record.Record, len(b.rows))
	for i := range b.rows {
		c, err := b.decode(i, &b.recs[i])
		if err != nil {
			b.err = err
			return
		}
		if pgColumnsMatch(b.recs[i], &c) {
			continue
		}
		if b.bad == 0 {
			b.first = b.recs[i]
		}
		b.bad++
		b.recs[i].Hash = sha256.Sum256(append([]byte("ocomms-audit: indexed columns disagree with data\x00"), b.recs[i].Hash[:]...))
	}
}

var errPGNull = errors.New("NULL in a NOT NULL column")

// decode fills r from row i and returns its stored derived columns.
func (b *pgReadBatch) decode(i int, r *record.Record) (pgStoredCols, error) {
	row := &b.rows[i]
	inst := b.val(row[pgcInstance])
	if inst == nil {
		return pgStoredCols{}, fmt.Errorf("instance: %w", errPGNull)
	}
	if i > 0 && b.recs[i-1].Instance == string(inst) {
		r.Instance = b.recs[i-1].Instance
	} else {
		r.Instance = string(inst)
	}
	seq := b.val(row[pgcSeq])
	if len(seq) != 8 {
		return pgStoredCols{}, fmt.Errorf("seq of %s: %d bytes, want 8", r.Instance, len(seq))
	}
	r.Seq = binary.BigEndian.Uint64(seq)
	ts := b.val(row[pgcTS])
	if len(ts) != 8 {
		return pgStoredCols{}, fmt.Errorf("ts of %s seq %d: %d bytes, want 8", r.Instance, int64(r.Seq), len(ts))
	}
	var tsOK bool
	r.Time, tsOK = pgTimeFromMicros(int64(binary.BigEndian.Uint64(ts)))
	r.Data = b.val(row[pgcData])
	r.PrevHash, r.Hash = pgHash32(b.val(row[pgcPrevHash])), pgHash32(b.val(row[pgcHash]))
	c := pgStoredCols{
		eventID: b.val(row[pgcEventID]), action: b.val(row[pgcAction]), outcome: b.val(row[pgcOutcome]),
		userID: b.val(row[pgcUserID]), email: b.val(row[pgcEmail]), userName: b.val(row[pgcUserName]),
		tUser: b.val(row[pgcTargetUser]), tEmail: b.val(row[pgcTargetEmail]), sourceIP: b.val(row[pgcSourceIP]),
		status: b.val(row[pgcStatus]), detailOK: b.val(row[pgcDetailOK]), tsOK: tsOK,
	}
	if c.eventID != nil {
		if len(c.eventID) != 16 {
			return pgStoredCols{}, fmt.Errorf("event_id of %s seq %d: %d bytes, want 16", r.Instance, int64(r.Seq), len(c.eventID))
		}
		r.EventID = pgFormatUUID([16]byte(c.eventID))
	}
	if c.detailOK == nil {
		return pgStoredCols{}, fmt.Errorf("detail_ok of %s seq %d: %w", r.Instance, int64(r.Seq), errPGNull)
	}
	return c, nil
}

// pgMicrosToUnixEpoch is PostgreSQL's epoch (2000-01-01) in Unix
// microseconds.
const pgMicrosToUnixEpoch = 946_684_800 * 1_000_000

// pgTimeFromMicros converts a binary timestamptz; ok is false for
// ±infinity and values that overflow.
func pgTimeFromMicros(us int64) (time.Time, bool) {
	if us == math.MaxInt64 || us == math.MinInt64 || us > math.MaxInt64-pgMicrosToUnixEpoch {
		return time.Time{}, false
	}
	u := us + pgMicrosToUnixEpoch
	return time.Unix(u/1_000_000, (u%1_000_000)*1000).UTC(), true
}

// pgColumnsMatch reports whether stored columns are what Write would
// derive from the record's data (toPGRow). Values are compared in
// PostgreSQL's binary form: text as its bytes, uuid as its 16 bytes, inet
// as family, mask and address.
func pgColumnsMatch(r record.Record, c *pgStoredCols) bool {
	if r.Seq == 0 || r.Seq > math.MaxInt64 || !c.tsOK {
		return false
	}
	want, err := toPGRow(r)
	if err != nil {
		return false
	}
	if !want.ts.Equal(r.Time) {
		return false
	}
	if want.eventID.Valid {
		if !bytes.Equal(c.eventID, want.eventID.Bytes[:]) {
			return false
		}
	} else if c.eventID != nil {
		return false
	}
	return c.action != nil && string(c.action) == want.action &&
		c.outcome != nil && string(c.outcome) == want.outcome &&
		pgEqText(c.userID, want.userID) && pgEqText(c.email, want.email) && pgEqInet(c.sourceIP, want.sourceIP) &&
		pgEqText(c.userName, want.userName) && pgEqText(c.tUser, want.tUser) && pgEqText(c.tEmail, want.tEmail) &&
		pgEqInt4(c.status, want.status) && len(c.detailOK) == 1 && (c.detailOK[0] != 0) == want.detailOK
}

func pgEqText(raw []byte, want *string) bool {
	if raw == nil || want == nil {
		return raw == nil && want == nil
	}
	return string(raw) == *want
}

func pgEqInt4(raw []byte, want *int32) bool {
	if raw == nil || want == nil {
		return raw == nil && want == nil
	}
	return len(raw) == 4 && int32(binary.BigEndian.Uint32(raw)) == *want
}

// PostgreSQL's binary inet: family, mask bits, is_cidr, address length,
// address.
const (
	pgAFInet  = 2
	pgAFInet6 = 3
)

// pgEqInet reports whether a binary inet is want with its full mask (how
// Write stores an address).
func pgEqInet(raw []byte, want *netip.Addr) bool {
	if raw == nil || want == nil {
		return raw == nil && want == nil
	}
	if len(raw) < 4 || len(raw) != 4+int(raw[3]) || int(raw[1]) != want.BitLen() {
		return false
	}
	if want.Is4() {
		a := want.As4()
		return raw[0] == pgAFInet && bytes.Equal(raw[4:], a[:])
	}
	a := want.As16()
	return raw[0] == pgAFInet6 && bytes.Equal(raw[4:], a[:])
}
