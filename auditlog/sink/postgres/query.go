package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/secevent"
)

// MaxPivotRows caps the rows the Postgres sink returns from
// AccountsFromIP and IPsForAccount, largest counts first.
const MaxPivotRows = 10000

// ErrBadIP is returned for a Filter.IP that is neither an address nor a
// CIDR.
var ErrBadIP = errors.New("invalid IP address or CIDR")

// pgIPPredicate returns the SQL matching source_ip against an address or a
// CIDR (inet <<=, which the (source_ip, ts) btree serves as a range).
func pgIPPredicate(ip string, arg int) (string, string, error) {
	ip = strings.TrimSpace(ip)
	if strings.Contains(ip, "/") {
		p, err := netip.ParsePrefix(ip)
		if err != nil {
			return "", "", fmt.Errorf("%w: %q", ErrBadIP, ip)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		return fmt.Sprintf("source_ip <<= $%d::inet", arg), p.String(), nil
	}
	a := pgParseIP(ip) // as the column holds it: no zone, IPv4 unmapped
	if a == nil {
		return "", "", fmt.Errorf("%w: %q", ErrBadIP, ip)
	}
	return fmt.Sprintf("source_ip = $%d::inet", arg), a.String(), nil
}

// where builds the WHERE clause shared by queries and pivots.
type pgWhere struct {
	conds []string
	args  []any
}

func (w *pgWhere) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(w.args))))
}

func (w *pgWhere) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

func (w *pgWhere) window(since, until time.Time) {
	if !since.IsZero() {
		w.add("ts >= $?", since)
	}
	if !until.IsZero() {
		w.add("ts < $?", until)
	}
}

func (w *pgWhere) ip(ip string) error {
	cond, val, err := pgIPPredicate(ip, len(w.args)+1)
	if err != nil {
		return err
	}
	w.args = append(w.args, val)
	w.conds = append(w.conds, cond)
	return nil
}

// Query returns one page of events matching f, newest first, with the
// same meaning as the JSONL store's: UserID matches user.id or
// user.target.id, Email (lower-cased) user.email or user.target.email,
// Since is inclusive and Until exclusive. Paging is by keyset on (ts,
// instance, seq) with the package's cursor, stable while rows are
// appended; no count is computed.
func (s *PostgresSink) Query(ctx context.Context, f query.Filter) (query.Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = query.DefaultQueryLimit
	}
	if limit > query.MaxQueryLimit {
		limit = query.MaxQueryLimit
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return query.Page{}, fmt.Errorf("audit query: until %s is before since %s", f.Until.Format(time.RFC3339), f.Since.Format(time.RFC3339))
	}
	// The identity filter has two columns to look in; each alternative
	// gets its own ordered, limited branch so every index scan stays a
	// top-N (an OR would sort every match).
	var alts [][2]string // column, value
	var w pgWhere
	switch {
	case f.UserID != "" && f.Email != "":
		w.add("(user_id = $? OR target_user = $1)", pgCleanText(f.UserID, pgMaxID))
		w.add("(email = $? OR target_email = $2)", pgCleanText(strings.ToLower(strings.TrimSpace(f.Email)), pgMaxEmail))
	case f.UserID != "":
		v := pgCleanText(f.UserID, pgMaxID)
		alts = [][2]string{{"user_id", v}, {"target_user", v}}
	case f.Email != "":
		v := pgCleanText(strings.ToLower(strings.TrimSpace(f.Email)), pgMaxEmail)
		alts = [][2]string{{"email", v}, {"target_email", v}}
	}
	if f.IP != "" {
		if err := w.ip(f.IP); err != nil {
			return query.Page{}, err
		}
	}
	if len(f.Actions) == 1 {
		w.add("action = $?", string(f.Actions[0]))
	} else if len(f.Actions) > 1 {
		acts := make([]string, len(f.Actions))
		for i, a := range f.Actions {
			acts[i] = string(a)
		}
		w.add("action = ANY($?::text[])", acts)
	}
	if f.Outcome != "" {
		w.add("outcome = $?", string(f.Outcome))
	}
	w.window(f.Since, f.Until)
	if f.After != "" {
		ct, inst, seq, err := query.DecodeCursor(f.After)
		if err != nil || seq > math.MaxInt64 {
			return query.Page{}, query.ErrBadCursor
		}
		w.args = append(w.args, ct, inst, int64(seq))
		n := len(w.args)
		w.conds = append(w.conds, fmt.Sprintf("ts <= $%d AND (ts, instance, seq) < ($%d, $%d, $%d)", n-2, n-2, n-1, n))
	}
	const order = "ORDER BY ts DESC, instance DESC, seq DESC"
	base, args := w.sql(), w.args
	alt := make([]int, len(alts))
	for i, a := range alts {
		args = append(args, a[1])
		alt[i] = len(args)
	}
	run := func(ctx context.Context, extra string, xargs []any, n int) ([]pgHit, error) {
		where := base + extra
		var sql string
		if len(alts) == 0 {
			sql = fmt.Sprintf("SELECT ts, instance, seq, data FROM audit_events WHERE %s %s LIMIT %d", where, order, n)
		} else {
			var branches []string
			for i, a := range alts {
				branches = append(branches, fmt.Sprintf("(SELECT ts, instance, seq, data FROM audit_events WHERE %s = $%d AND %s %s LIMIT %d)",
					a[0], alt[i], where, order, n))
			}
			sql = fmt.Sprintf("SELECT ts, instance, seq, data FROM (%s) u %s LIMIT %d", strings.Join(branches, " UNION "), order, n)
		}
		rows, err := s.pool.Query(ctx, sql, append(args[:len(args):len(args)], xargs...)...)
		if err != nil {
			return nil, fmt.Errorf("postgres: querying audit events: %w", err)
		}
		hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pgHit, error) {
			var h pgHit
			return h, r.Scan(&h.ts, &h.inst, &h.seq, &h.data)
		})
		if err != nil {
			return nil, fmt.Errorf("postgres: reading audit events: %w", err)
		}
		return hits, nil
	}
	var hits []pgHit
	if pgIsRange(f.IP) {
		// A CIDR is a range scan on (source_ip, ts) that yields rows in
		// address order, so the newest 100 would mean sorting every match
		// in the window. Walk back in growing time windows instead (1 day,
		// then 4, 16…): each is small, and dense ranges stop at the first.
		lo, hi, err := s.queryBounds(ctx, f)
		if err != nil {
			return query.Page{}, err
		}
		n := len(args)
		extra := fmt.Sprintf(" AND ts >= $%d AND ts < $%d", n+1, n+2)
		for span, upper := 24*time.Hour, hi; upper.After(lo) && len(hits) <= limit; span *= 4 {
			lower := upper.Add(-span)
			if lower.Before(lo) {
				lower = lo
			}
			got, err := run(ctx, extra, []any{lower, upper}, limit+1-len(hits))
			if err != nil {
				return query.Page{}, err
			}
			hits = append(hits, got...)
			upper = lower
		}
	} else {
		var err error
		if hits, err = run(ctx, "", nil, limit+1); err != nil {
			return query.Page{}, err
		}
	}
	var page query.Page
	for i, h := range hits {
		if i == limit {
			last := hits[i-1]
			page.Next = query.EncodeCursor(secevent.Event{Time: last.ts, Instance: last.inst, Sequence: uint64(last.seq)})
			break
		}
		ev, err := pgDecodeEvent(h.data)
		if err != nil {
			return query.Page{}, fmt.Errorf("postgres: decoding %s seq %d: %w", h.inst, h.seq, err)
		}
		page.Events = append(page.Events, *ev)
	}
	return page, nil
}

// pgHit is one row of a query, before decoding.
type pgHit struct {
	ts   time.Time
	inst string
	seq  int64
	data []byte
}

// pgIsRange reports whether an IP filter is a CIDR wider than one address.
func pgIsRange(ip string) bool {
	p, err := query.ParseIPFilter(ip)
	return err == nil && strings.Contains(ip, "/") && !p.IsSingleIP()
}

// queryBounds is the time range a windowed query walks: the filter's
// Since and Until (and cursor), else the stored partitions' span.
func (s *PostgresSink) queryBounds(ctx context.Context, f query.Filter) (time.Time, time.Time, error) {
	lo, hi := f.Since, f.Until
	if lo.IsZero() || hi.IsZero() {
		var first, last *time.Time
		err := s.pool.QueryRow(ctx, `SELECT min(to_date(substr(c.relname, 15), 'YYYYMMDD'))::timestamp AT TIME ZONE 'UTC',
			(max(to_date(substr(c.relname, 15), 'YYYYMMDD')) + 1)::timestamp AT TIME ZONE 'UTC'
			FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'audit_events'::regclass AND c.relname ~ '^audit_events_p[0-9]{8}$'`).Scan(&first, &last)
		if err != nil {
			return lo, hi, fmt.Errorf("postgres: reading the partitions' span: %w", err)
		}
		if first == nil || last == nil {
			return time.Time{}, time.Time{}, nil // nothing stored
		}
		if lo.IsZero() {
			lo = *first
		}
		if hi.IsZero() {
			hi = *last
		}
	}
	if f.After != "" {
		if ct, _, _, err := query.DecodeCursor(f.After); err == nil && ct.Add(time.Microsecond).Before(hi) {
			hi = ct.Add(time.Microsecond)
		}
	}
	return lo, hi, nil
}

// AccountsFromIP lists the accounts (email, else user id, else user
// name) seen from an address or CIDR in [since, until), most events
// first.
func (s *PostgresSink) AccountsFromIP(ctx context.Context, ip string, since, until time.Time) ([]query.Pivot, error) {
	var w pgWhere
	if err := w.ip(ip); err != nil {
		return nil, err
	}
	w.window(since, until)
	w.conds = append(w.conds, "coalesce(email, user_id, user_name) IS NOT NULL")
	sql := fmt.Sprintf(`SELECT coalesce(email, user_id, user_name), count(*), count(*) FILTER (WHERE outcome = 'failure'), min(ts), max(ts)
		FROM audit_events WHERE %s GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %d`, w.sql(), MaxPivotRows)
	return s.pivots(ctx, sql, w.args)
}

// IPsForAccount lists the source IPs used by an account (matched as its
// email, lower-cased, or its user id or user name) in [since, until),
// most events first. The email match is its own branch, which the
// (email, ts) INCLUDE (source_ip, outcome) index answers without the
// heap; the id and name branch skips rows the email branch counted.
func (s *PostgresSink) IPsForAccount(ctx context.Context, account string, since, until time.Time) ([]query.Pivot, error) {
	account = strings.TrimSpace(account)
	if account == "" {
		return nil, fmt.Errorf("audit query: account is required")
	}
	w := pgWhere{args: []any{pgCleanText(strings.ToLower(account), pgMaxEmail), pgCleanText(account, pgMaxID)}}
	w.window(since, until)
	w.conds = append(w.conds, "source_ip IS NOT NULL")
	sql := fmt.Sprintf(`SELECT host(source_ip), count(*), count(*) FILTER (WHERE outcome = 'failure'), min(ts), max(ts)
		FROM (SELECT source_ip, outcome, ts FROM audit_events WHERE email = $1 AND %[1]s
			UNION ALL
			SELECT source_ip, outcome, ts FROM audit_events
			WHERE (user_id = $2 OR user_name = $2) AND email IS DISTINCT FROM $1 AND %[1]s) m
		GROUP BY source_ip ORDER BY 2 DESC, 1 LIMIT %[2]d`, w.sql(), MaxPivotRows)
	return s.pivots(ctx, sql, w.args)
}

func (s *PostgresSink) pivots(ctx context.Context, sql string, args []any) ([]query.Pivot, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: pivot query: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (query.Pivot, error) {
		var (
			p           query.Pivot
			events, bad int64
		)
		err := row.Scan(&p.Value, &events, &bad, &p.First, &p.Last)
		p.Events, p.Failures = int(events), int(bad)
		p.First, p.Last = p.First.UTC(), p.Last.UTC()
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: pivot query: %w", err)
	}
	return out, nil
}
