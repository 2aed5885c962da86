package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresMigrations are applied in order, each once, recorded in
// audit_schema_version. Never edit a released entry: append a new one.
var postgresMigrations = []string{
	// 1: events partitioned by day, checkpoints, conflicts, append-only
	// triggers. The primary key (instance, seq, ts) makes a replayed record
	// a duplicate (ts must be in every unique key of a partitioned table;
	// a replay carries the same ts). It also serves chain reads in
	// (instance, seq) order.
	`CREATE FUNCTION audit_detail(data bytea, ok boolean) RETURNS jsonb
		LANGUAGE sql IMMUTABLE PARALLEL SAFE
		RETURN CASE WHEN ok THEN convert_from(data, 'UTF8')::jsonb END;
	CREATE TABLE audit_events (
		instance  text        NOT NULL,
		seq       bigint      NOT NULL,
		event_id  uuid,
		ts        timestamptz NOT NULL,
		action    text        NOT NULL,
		outcome   text        NOT NULL,
		user_id   text,
		email     text,
		user_name    text,
		target_user  text,
		target_email text,
		source_ip inet,
		status    integer,
		data      bytea       NOT NULL,
		prev_hash bytea       NOT NULL,
		hash      bytea       NOT NULL,
		detail_ok boolean     NOT NULL,
		PRIMARY KEY (instance, seq, ts)
	) PARTITION BY RANGE (ts);
	COMMENT ON COLUMN audit_events.data IS 'canonical event JSON exactly as hashed: hash = sha256(prev_hash || data)';
	COMMENT ON COLUMN audit_events.detail_ok IS 'data is JSON that jsonb accepts (see audit_events_json)';
	-- data as jsonb for humans and SQL, computed when read: nothing to
	-- store twice or to tamper with apart from data (a stored generated
	-- jsonb column measured slower to write than all five indexes).
	-- jsonb reorders keys: never hash it.
	CREATE VIEW audit_events_json AS
		SELECT instance, seq, event_id, ts, action, outcome, user_id, email, user_name, target_user, target_email, source_ip, status,
			audit_detail(data, detail_ok) AS detail
		FROM audit_events;
	CREATE INDEX audit_events_ts_brin   ON audit_events USING brin (ts);
	CREATE INDEX audit_events_user_ts   ON audit_events (user_id, ts)   WHERE user_id IS NOT NULL;
	CREATE INDEX audit_events_email_ts  ON audit_events (email, ts)     WHERE email IS NOT NULL;
	CREATE INDEX audit_events_name_ts   ON audit_events (user_name, ts) WHERE user_name IS NOT NULL;
	CREATE INDEX audit_events_target_user_ts  ON audit_events (target_user, ts)  WHERE target_user IS NOT NULL;
	CREATE INDEX audit_events_target_email_ts ON audit_events (target_email, ts) WHERE target_email IS NOT NULL;
	CREATE INDEX audit_events_ip_ts     ON audit_events (source_ip, ts) WHERE source_ip IS NOT NULL;
	CREATE INDEX audit_events_action_ts ON audit_events (action, ts);
	CREATE TABLE audit_checkpoints (
		instance   text        NOT NULL,
		seq        bigint      NOT NULL,
		retention  boolean     NOT NULL,
		hash       bytea       NOT NULL,
		prev_hash  bytea       NOT NULL,
		time_ns    bigint      NOT NULL,
		ts         timestamptz NOT NULL,
		public_key bytea       NOT NULL,
		signature  bytea       NOT NULL,
		written_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (instance, seq, retention, signature)
	);
	CREATE TABLE audit_conflicts (
		instance    text        NOT NULL,
		seq         bigint      NOT NULL,
		ts          timestamptz NOT NULL,
		data        bytea       NOT NULL,
		prev_hash   bytea       NOT NULL,
		hash        bytea       NOT NULL,
		received_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (instance, seq, hash)
	);
	COMMENT ON TABLE audit_conflicts IS 'records handed to the sink whose (instance, seq, ts) was already stored with a different hash: a forked chain (two edges with one instance name?), kept as evidence';
	CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
			USING ERRCODE = 'insufficient_privilege';
	END $$;
	CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
		FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
	CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
		FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
	CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
		FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
	CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
		FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();`,
	// 2: the email index carries source_ip and outcome, so IPsForAccount
	// on an email is an index-only scan: at 10M events an account's 30
	// days are ~2,000 rows on as many heap pages, which made its p95 117
	// ms on a loaded machine. It keeps (email, ts) order for Query and
	// replaces audit_events_email_ts. Built before the old one is dropped:
	// the build blocks writes (edges spool; about a minute per 10M rows)
	// but not reads, and the exclusive lock of the drop lasts to commit.
	`CREATE INDEX audit_events_email_ts_ip ON audit_events (email, ts) INCLUDE (source_ip, outcome) WHERE email IS NOT NULL;
	DROP INDEX audit_events_email_ts;`,
}

// pgSchemaLockSQL takes the transaction-scoped advisory lock that serializes
// migrations and partition DDL across every edge sharing the schema.
const pgSchemaLockSQL = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.ocomms_audit_schema'))`

// migrate brings the schema up to date. Several edges starting together
// are safe: each waits for the advisory lock, then sees what the others
// applied. Each migration commits with its version row, or not at all.
func (s *PostgresSink) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, pgSchemaLockSQL); err != nil {
			return fmt.Errorf("taking the schema lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS audit_schema_version (
			version    integer     PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("creating audit_schema_version: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM audit_schema_version`).Scan(&current); err != nil {
			return fmt.Errorf("reading the schema version: %w", err)
		}
		if current > len(postgresMigrations) {
			return fmt.Errorf("the audit schema is at version %d, newer than this edge knows (%d): upgrade the edge", current, len(postgresMigrations))
		}
		for v := current + 1; v <= len(postgresMigrations); v++ {
			if _, err := tx.Exec(ctx, postgresMigrations[v-1]); err != nil {
				return fmt.Errorf("applying audit schema migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO audit_schema_version (version) VALUES ($1)`, v); err != nil {
				return fmt.Errorf("recording audit schema migration %d: %w", v, err)
			}
		}
		return nil
	})
}

// pgDay is a UTC calendar day, the unit of partitioning.
type pgDay struct{ y, m, d int }

func pgDayOf(t time.Time) pgDay {
	u := t.UTC()
	return pgDay{u.Year(), int(u.Month()), u.Day()}
}

func (d pgDay) start() time.Time { return time.Date(d.y, time.Month(d.m), d.d, 0, 0, 0, 0, time.UTC) }
func (d pgDay) next() pgDay      { return pgDayOf(d.start().AddDate(0, 0, 1)) }
func (d pgDay) partition() string {
	return fmt.Sprintf("audit_events_p%04d%02d%02d", d.y, d.m, d.d)
}

// pgParsePartition reads a day back from a partition name.
func pgParsePartition(name string) (pgDay, bool) {
	if !strings.HasPrefix(name, "audit_events_p") || len(name) != len("audit_events_p20060102") {
		return pgDay{}, false
	}
	t, err := time.Parse("20060102", name[len("audit_events_p"):])
	if err != nil {
		return pgDay{}, false
	}
	return pgDayOf(t), true
}

// listPartitions returns the days that have an attached partition.
func (s *PostgresSink) listPartitions(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (map[pgDay]bool, error) {
	rows, err := q.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_events'::regclass`)
	if err != nil {
		return nil, fmt.Errorf("listing audit partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing audit partitions: %w", err)
	}
	out := make(map[pgDay]bool, len(names))
	for _, n := range names {
		if d, ok := pgParsePartition(n); ok {
			out[d] = true
		}
	}
	return out, nil
}

// ensurePartitions creates the partitions for days that lack one, under
// the schema lock, and records them in the sink's cache.
func (s *PostgresSink) ensurePartitions(ctx context.Context, days []pgDay) error {
	s.partMu.Lock()
	defer s.partMu.Unlock()
	var missing []pgDay
	for _, d := range days {
		if !s.parts[d] {
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].start().Before(missing[j].start()) })
	var existing map[pgDay]bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, pgSchemaLockSQL); err != nil {
			return fmt.Errorf("taking the schema lock: %w", err)
		}
		have, err := s.listPartitions(ctx, tx)
		if err != nil {
			return err
		}
		existing = have
		for _, d := range missing {
			if have[d] {
				continue
			}
			name := d.partition()
			ddl := fmt.Sprintf(`CREATE TABLE %s PARTITION OF audit_events FOR VALUES FROM ('%s') TO ('%s');
				CREATE TRIGGER %s_no_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`,
				name, d.start().Format(time.RFC3339), d.next().start().Format(time.RFC3339), name, name)
			if _, err := tx.Exec(ctx, ddl); err != nil {
				return fmt.Errorf("creating partition %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for d := range existing {
		s.parts[d] = true
	}
	for _, d := range missing {
		s.parts[d] = true
	}
	return nil
}

// forgetPartitions empties the cache, after an insert found no partition
// (another edge's retention dropped one we thought existed).
func (s *PostgresSink) forgetPartitions() {
	s.partMu.Lock()
	s.parts = map[pgDay]bool{}
	s.partMu.Unlock()
}

// ensureAhead creates today's partition and the configured days ahead.
func (s *PostgresSink) ensureAhead(ctx context.Context) error {
	today := pgDayOf(s.now())
	days := []pgDay{today}
	d := today
	for i := 0; i < s.cfg.PartitionsAhead; i++ {
		d = d.next()
		days = append(days, d)
	}
	return s.ensurePartitions(ctx, days)
}
