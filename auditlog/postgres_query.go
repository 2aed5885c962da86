package auditlog

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Query limits.
const (
	DefaultQueryLimit = 100
	MaxQueryLimit     = 1000
	// MaxPivotRows caps the rows of AccountsFromIP and IPsForAccount,
	// largest counts first.
	MaxPivotRows = 10000
)

// ErrBadCursor is returned for a Filter.After that this store did not
// issue.
var ErrBadCursor = errors.New("invalid pagination cursor")

// ErrBadIP is returned for a Filter.IP that is neither an address nor a
// CIDR.
var ErrBadIP = errors.New("invalid IP address or CIDR")

// pgCursor is the keyset position after the last row of a page: rows are
// ordered newest first by (ts, instance, seq), which is unique.
type pgCursor struct {
	ts       time.Time
	instance string
	seq      int64
}

// encode packs the cursor as base64url(version, µs, seq, instance).
func (c pgCursor) encode() string {
	b := make([]byte, 1+8+8, 17+len(c.instance))
	b[0] = 1
	binary.BigEndian.PutUint64(b[1:], uint64(c.ts.UnixMicro()))
	binary.BigEndian.PutUint64(b[9:], uint64(c.seq))
	b = append(b, c.instance...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePGCursor(s string) (pgCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 17 || b[0] != 1 || len(b) > 17+pgMaxInstance {
		return pgCursor{}, ErrBadCursor
	}
	return pgCursor{
		ts:       time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:]))).UTC(),
		seq:      int64(binary.BigEndian.Uint64(b[9:])),
		instance: string(b[17:]),
	}, nil
}

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
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", "", fmt.Errorf("%w: %q", ErrBadIP, ip)
	}
	return fmt.Sprintf("source_ip = $%d::inet", arg), a.WithZone("").Unmap().String(), nil
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

// Query returns one page of events matching f, newest first. Since is
// inclusive, Until exclusive. Paging is by keyset on (ts, instance, seq):
// stable while rows are appended, and no count is computed.
func (s *PostgresSink) Query(ctx context.Context, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	if limit > MaxQueryLimit {
		limit = MaxQueryLimit
	}
	var w pgWhere
	if f.UserID != "" {
		w.add("user_id = $?", pgCleanText(f.UserID, pgMaxID))
	}
	if f.Email != "" {
		w.add("email = $?", pgCleanText(strings.ToLower(f.Email), pgMaxEmail))
	}
	if f.IP != "" {
		if err := w.ip(f.IP); err != nil {
			return Page{}, err
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
		c, err := decodePGCursor(f.After)
		if err != nil {
			return Page{}, err
		}
		w.args = append(w.args, c.ts, c.instance, c.seq)
		n := len(w.args)
		w.conds = append(w.conds, fmt.Sprintf("ts <= $%d AND (ts, instance, seq) < ($%d, $%d, $%d)", n-2, n-2, n-1, n))
	}
	sql := fmt.Sprintf(`SELECT ts, instance, seq, data FROM audit_events WHERE %s
		ORDER BY ts DESC, instance DESC, seq DESC LIMIT %d`, w.sql(), limit+1)
	rows, err := s.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return Page{}, fmt.Errorf("postgres: querying audit events: %w", err)
	}
	defer rows.Close()
	var (
		page Page
		last pgCursor
	)
	for rows.Next() {
		var (
			c    pgCursor
			data []byte
		)
		if err := rows.Scan(&c.ts, &c.instance, &c.seq, &data); err != nil {
			return Page{}, fmt.Errorf("postgres: reading audit events: %w", err)
		}
		if len(page.Events) == limit {
			page.Next = last.encode()
			break
		}
		ev, err := pgDecodeEvent(data)
		if err != nil {
			return Page{}, fmt.Errorf("postgres: decoding %s seq %d: %w", c.instance, c.seq, err)
		}
		page.Events = append(page.Events, *ev)
		last = c
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("postgres: reading audit events: %w", err)
	}
	return page, nil
}

// AccountsFromIP lists the accounts (email, else user id) seen from an
// address or CIDR in [since, until), most events first.
func (s *PostgresSink) AccountsFromIP(ctx context.Context, ip string, since, until time.Time) ([]Pivot, error) {
	var w pgWhere
	if err := w.ip(ip); err != nil {
		return nil, err
	}
	w.window(since, until)
	w.conds = append(w.conds, "coalesce(email, user_id) IS NOT NULL")
	sql := fmt.Sprintf(`SELECT coalesce(email, user_id), count(*), count(*) FILTER (WHERE outcome = 'failure'), min(ts), max(ts)
		FROM audit_events WHERE %s GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %d`, w.sql(), MaxPivotRows)
	return s.pivots(ctx, sql, w.args)
}

// IPsForAccount lists the source IPs used by an account (matched as email
// or user id) in [since, until), most events first.
func (s *PostgresSink) IPsForAccount(ctx context.Context, account string, since, until time.Time) ([]Pivot, error) {
	var w pgWhere
	w.add("(email = $?", pgCleanText(strings.ToLower(account), pgMaxEmail))
	w.args = append(w.args, pgCleanText(account, pgMaxID))
	w.conds[0] += fmt.Sprintf(" OR user_id = $%d)", len(w.args))
	w.window(since, until)
	w.conds = append(w.conds, "source_ip IS NOT NULL")
	sql := fmt.Sprintf(`SELECT host(source_ip), count(*), count(*) FILTER (WHERE outcome = 'failure'), min(ts), max(ts)
		FROM audit_events WHERE %s GROUP BY source_ip ORDER BY 2 DESC, 1 LIMIT %d`, w.sql(), MaxPivotRows)
	return s.pivots(ctx, sql, w.args)
}

func (s *PostgresSink) pivots(ctx context.Context, sql string, args []any) ([]Pivot, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: pivot query: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Pivot, error) {
		var (
			p           Pivot
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
