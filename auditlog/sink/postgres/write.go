package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// pgColumns are the columns the edge writes; detail is generated.
var pgColumns = []string{"instance", "seq", "event_id", "ts", "action", "outcome", "user_id", "email",
	"user_name", "target_user", "target_email", "source_ip", "status", "data", "prev_hash", "hash", "detail_ok"}

// pgInsertSQL inserts one row of pgColumns (the single-INSERT baseline
// and tests).
var pgInsertSQL = func() string {
	ph := make([]string, len(pgColumns))
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	return "INSERT INTO audit_events (" + strings.Join(pgColumns, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
}()

// Caps on indexed text columns: a btree entry must stay well under
// PostgreSQL's ~2.7 kB limit whatever a client typed. Data keeps the
// full value.
const (
	pgMaxInstance = 200
	pgMaxID       = 256
	pgMaxEmail    = 320
	pgMaxAction   = 100
)

// pgRow is one record as column values.
type pgRow struct {
	instance  string
	seq       int64
	eventID   pgtype.UUID
	ts        time.Time
	action    string
	outcome   string
	userID    *string
	email     *string
	userName  *string
	tUser     *string
	tEmail    *string
	sourceIP  *netip.Addr
	status    *int32
	data      []byte
	prevHash  []byte
	hash      []byte
	detailOK  bool
	firstDay  pgDay
	recordSeq uint64
}

// toPGRow derives the column values from a record. Nothing a client typed
// can make the row fail to insert (which would wedge the pipeline on a
// poison batch): text is made valid UTF-8 without NUL and capped, an
// address that does not parse is NULL, and detail is only derived when
// PostgreSQL's jsonb will accept Data.
func toPGRow(r record.Record) (pgRow, error) {
	if r.Seq == 0 || r.Seq > math.MaxInt64 {
		return pgRow{}, fmt.Errorf("postgres: record %s has seq %d outside 1..2^63-1", r.Instance, r.Seq)
	}
	ev, detailOK := pgRecordColumns(r)
	// The partition key comes from the hashed bytes when they say it, so
	// the column cannot disagree with the chain.
	ts := ev.Time
	if ts.IsZero() {
		ts = r.Time
	}
	ts = ts.UTC().Truncate(time.Microsecond)
	if ts.Year() < 1 || ts.Year() > 9999 {
		// Partition names and bounds assume four-digit years; a clock
		// this wrong must not wedge the sink.
		ts = time.Unix(0, 0).UTC()
	}
	row := pgRow{
		instance:  pgCleanText(r.Instance, pgMaxInstance),
		seq:       int64(r.Seq),
		eventID:   pgParseUUID(pgFirstNonEmpty(ev.ID, r.EventID)),
		ts:        ts,
		action:    pgCleanText(string(ev.Action), pgMaxAction),
		outcome:   pgCleanText(string(ev.Outcome), pgMaxAction),
		userID:    pgOptText(ev.UserID, pgMaxID),
		email:     pgOptText(strings.ToLower(ev.UserEmail), pgMaxEmail),
		userName:  pgOptText(ev.UserName, pgMaxID),
		tUser:     pgOptText(ev.TargetUser, pgMaxID),
		tEmail:    pgOptText(strings.ToLower(ev.TargetEmail), pgMaxEmail),
		sourceIP:  pgParseIP(ev.SourceIP),
		data:      r.Data,
		prevHash:  append([]byte(nil), r.PrevHash[:]...),
		hash:      append([]byte(nil), r.Hash[:]...),
		detailOK:  detailOK,
		firstDay:  pgDayOf(ts),
		recordSeq: r.Seq,
	}
	if row.outcome == "" {
		row.outcome = string(secevent.OutcomeUnknown)
	}
	if ev.Status != 0 && ev.Status >= math.MinInt32 && ev.Status <= math.MaxInt32 {
		st := int32(ev.Status)
		row.status = &st
	}
	if row.data == nil {
		row.data = []byte{}
	}
	return row, nil
}

func pgNullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func (r *pgRow) values() []any {
	var ip, status any
	if r.sourceIP != nil {
		ip = *r.sourceIP
	}
	if r.status != nil {
		status = *r.status
	}
	return []any{r.instance, r.seq, r.eventID, r.ts, r.action, r.outcome, pgNullable(r.userID), pgNullable(r.email),
		pgNullable(r.userName), pgNullable(r.tUser), pgNullable(r.tEmail), ip, status, r.data, r.prevHash, r.hash, r.detailOK}
}

func pgFirstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// pgCleanText makes s storable in a text column: valid UTF-8, no NUL, at
// most max bytes (cut on a rune boundary).
func pgCleanText(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

func pgOptText(s string, max int) *string {
	if s == "" {
		return nil
	}
	c := pgCleanText(s, max)
	return &c
}

func pgParseIP(s string) *netip.Addr {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	a = a.WithZone("").Unmap()
	return &a
}

// pgParseUUID parses a canonical UUID; anything else is NULL (Data keeps
// the original).
func pgParseUUID(s string) pgtype.UUID {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return pgtype.UUID{}
	}
	var u pgtype.UUID
	j := 0
	for i := 0; i < 36; i += 2 {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
		}
		hi, ok1 := pgHexVal(s[i])
		lo, ok2 := pgHexVal(s[i+1])
		if !ok1 || !ok2 {
			return pgtype.UUID{}
		}
		u.Bytes[j] = hi<<4 | lo
		j++
	}
	u.Valid = true
	return u
}

// pgHexVal is the value of a hex digit (either case, as encoding/hex).
func pgHexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// pgJSONBAccepts reports whether PostgreSQL's jsonb input will take data:
// valid UTF-8 JSON without the \u0000 escape or \uD800-\uDFFF escapes,
// which jsonb refuses (or may refuse) where encoding/json accepts them.
func pgJSONBAccepts(data []byte) bool {
	if _, jsonbOK, ok := pgScanColumnsJSONB(data); ok {
		return jsonbOK
	}
	return json.Valid(data) && pgJSONBAcceptsValid(data)
}

// pgJSONBAcceptsValid is pgJSONBAccepts for data known to be valid JSON.
func pgJSONBAcceptsValid(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	if bytes.Contains(data, []byte(`\u0000`)) {
		return false
	}
	for _, p := range [][]byte{[]byte(`\ud`), []byte(`\uD`)} {
		if bytes.Contains(data, p) {
			return false
		}
	}
	return true
}

// Write stores records durably and idempotently: a replayed record (same
// instance, seq and time) is detected by the primary key and skipped.
// Records go in COPY batches of at most BatchSize rows, each its own
// transaction. When a COPY fails with 23505 (the batch or part of it was
// committed before, e.g. an ambiguous commit whose acknowledgement was
// lost in a restart) that batch is written again with INSERT … ON
// CONFLICT DO NOTHING. Any other failure (57P01 admin shutdown, 57P03
// starting up, EOF, refused connections) is returned so the pipeline
// retries the same batch; the pool replaces broken connections.
func (s *PostgresSink) Write(ctx context.Context, records []record.Record) error {
	if len(records) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	if err := s.ensureReady(ctx); err != nil {
		return err
	}
	rows := make([]pgRow, len(records))
	seen := map[pgDay]bool{}
	var days []pgDay
	for i, r := range records {
		row, err := toPGRow(r)
		if err != nil {
			return err
		}
		rows[i] = row
		if !seen[row.firstDay] {
			seen[row.firstDay] = true
			days = append(days, row.firstDay)
		}
	}
	if err := s.ensurePartitions(ctx, days); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	for start := 0; start < len(rows); start += s.cfg.BatchSize {
		end := min(start+s.cfg.BatchSize, len(rows))
		if err := s.writeBatch(ctx, rows[start:end]); err != nil {
			return err
		}
	}
	return nil
}

func (s *PostgresSink) writeBatch(ctx context.Context, rows []pgRow) error {
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"audit_events"}, pgColumns, &pgRowSource{rows: rows, i: -1})
	if err == nil {
		if n != int64(len(rows)) {
			return fmt.Errorf("postgres: COPY stored %d of %d records", n, len(rows))
		}
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation: some of these were stored before
			return s.insertIgnoringDuplicates(ctx, rows)
		case "23514": // no partition for a row: another edge dropped it
			s.forgetPartitions()
		}
	}
	return fmt.Errorf("postgres: copying %d records (%s seq %d..%d): %w", len(rows), rows[0].instance,
		rows[0].recordSeq, rows[len(rows)-1].recordSeq, err)
}

// pgRowSource feeds CopyFrom without building all rows up front.
type pgRowSource struct {
	rows []pgRow
	i    int
}

func (p *pgRowSource) Next() bool             { p.i++; return p.i < len(p.rows) }
func (p *pgRowSource) Values() ([]any, error) { return p.rows[p.i].values(), nil }
func (p *pgRowSource) Err() error             { return nil }

// replaySQL inserts what is missing and returns the input rows that
// collide with a stored row holding a different hash (a forked chain).
const replaySQL = `WITH input AS (
	SELECT * FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::timestamptz[], $5::text[], $6::text[],
		$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::inet[], $13::integer[],
		$14::bytea[], $15::bytea[], $16::bytea[], $17::boolean[])
	AS u(instance, seq, event_id, ts, action, outcome, user_id, email, user_name, target_user, target_email,
		source_ip, status, data, prev_hash, hash, detail_ok)
), ins AS (
	INSERT INTO audit_events (instance, seq, event_id, ts, action, outcome, user_id, email, user_name,
		target_user, target_email, source_ip, status, data, prev_hash, hash, detail_ok)
	SELECT * FROM input ON CONFLICT DO NOTHING
	RETURNING instance, seq, ts
)
SELECT i.instance, i.seq, i.ts, i.data, i.prev_hash, i.hash FROM input i
WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.instance = i.instance AND ins.seq = i.seq AND ins.ts = i.ts)
  AND NOT EXISTS (SELECT 1 FROM audit_events e
	WHERE e.instance = i.instance AND e.seq = i.seq AND e.ts = i.ts AND e.hash = i.hash)`

// insertIgnoringDuplicates is the replay path after a 23505. Rows already
// stored identically are skipped. A row whose key is stored with another
// hash is kept in audit_conflicts as evidence and logged as an error; the
// stored chain is left as it is.
func (s *PostgresSink) insertIgnoringDuplicates(ctx context.Context, rows []pgRow) error {
	s.replays.Add(1)
	n := len(rows)
	var (
		inst     = make([]string, n)
		seq      = make([]int64, n)
		ids      = make([]pgtype.UUID, n)
		ts       = make([]time.Time, n)
		action   = make([]string, n)
		outcome  = make([]string, n)
		uid      = make([]*string, n)
		email    = make([]*string, n)
		uname    = make([]*string, n)
		tuser    = make([]*string, n)
		temail   = make([]*string, n)
		ip       = make([]*string, n)
		status   = make([]*int32, n)
		data     = make([][]byte, n)
		prev     = make([][]byte, n)
		hash     = make([][]byte, n)
		detailOK = make([]bool, n)
	)
	for i, r := range rows {
		inst[i], seq[i], ids[i], ts[i], action[i], outcome[i] = r.instance, r.seq, r.eventID, r.ts, r.action, r.outcome
		uid[i], email[i], status[i] = r.userID, r.email, r.status
		uname[i], tuser[i], temail[i] = r.userName, r.tUser, r.tEmail
		if r.sourceIP != nil {
			a := r.sourceIP.String()
			ip[i] = &a
		}
		data[i], prev[i], hash[i], detailOK[i] = r.data, r.prevHash, r.hash, r.detailOK
	}
	var conflicts []pgRow
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res, err := tx.Query(ctx, replaySQL, inst, seq, ids, ts, action, outcome, uid, email, uname, tuser, temail,
			ip, status, data, prev, hash, detailOK)
		if err != nil {
			return err
		}
		conflicts, err = pgx.CollectRows(res, func(row pgx.CollectableRow) (pgRow, error) {
			var c pgRow
			err := row.Scan(&c.instance, &c.seq, &c.ts, &c.data, &c.prevHash, &c.hash)
			return c, err
		})
		if err != nil {
			return err
		}
		for _, c := range conflicts {
			if _, err := tx.Exec(ctx, `INSERT INTO audit_conflicts (instance, seq, ts, data, prev_hash, hash)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, c.instance, c.seq, c.ts, c.data, c.prevHash, c.hash); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: replaying %d records after a duplicate (%s seq %d..%d): %w", n, rows[0].instance,
			rows[0].recordSeq, rows[n-1].recordSeq, err)
	}
	for _, c := range conflicts {
		s.log.Error("audit record conflicts with a stored one (same instance and seq, another hash): kept in audit_conflicts; are two edges using one instance name?",
			zap.String("instance", c.instance), zap.Int64("seq", c.seq))
	}
	return nil
}

// WriteCheckpoint stores a signed checkpoint; storing it twice is a no-op.
// The time is kept to the nanosecond (time_ns) so the signature verifies.
func (s *PostgresSink) WriteCheckpoint(ctx context.Context, cp record.Checkpoint) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	if err := s.ensureReady(ctx); err != nil {
		return err
	}
	return s.insertCheckpoint(ctx, s.pool, cp)
}

func (s *PostgresSink) insertCheckpoint(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, cp record.Checkpoint) error {
	if cp.Seq > math.MaxInt64 {
		return fmt.Errorf("postgres: checkpoint seq %d out of range", cp.Seq)
	}
	sig := cp.Signature
	if sig == nil {
		sig = []byte{}
	}
	pub := cp.PublicKey
	if pub == nil {
		pub = []byte{}
	}
	_, err := q.Exec(ctx, `INSERT INTO audit_checkpoints
		(instance, seq, retention, hash, prev_hash, time_ns, ts, public_key, signature)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		cp.Instance, int64(cp.Seq), cp.Retention, cp.Hash[:], cp.PrevHash[:], cp.Time.UnixNano(), cp.Time, pub, sig)
	if err != nil {
		return fmt.Errorf("postgres: writing checkpoint %s seq %d: %w", cp.Instance, cp.Seq, err)
	}
	return nil
}
