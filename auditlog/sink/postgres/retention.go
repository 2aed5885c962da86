package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// RetentionCut says where dropping old partitions cuts one chain: every
// record of Instance before Seq is gone on purpose, and the record at Seq
// (if any yet) must link to PrevHash, the hash of the last dropped record.
type RetentionCut struct {
	Instance string
	Seq      uint64
	PrevHash [32]byte
	// Before is the first day kept (UTC midnight): partitions of earlier
	// days are dropped.
	Before time.Time
}

// RetentionSigner turns a cut into a signed retention checkpoint
// (Retention true, Seq and PrevHash from the cut). The pipeline's
// checkpoint signer provides it; the sink stores what it returns before
// dropping anything, and the signer may write it to its other sinks too.
type RetentionSigner func(ctx context.Context, cut RetentionCut) (record.Checkpoint, error)

// pgRetentionLockSQL lets one edge at a time apply retention.
const pgRetentionLockSQL = `SELECT pg_try_advisory_lock(hashtext(current_schema() || '.ocomms_audit_retention'))`
const pgRetentionUnlockSQL = `SELECT pg_advisory_unlock(hashtext(current_schema() || '.ocomms_audit_retention'))`

// ApplyRetention drops the daily partitions older than RetentionDays (UTC
// days; today counts as one). For each chain with records in them it
// first writes a signed retention checkpoint at the highest dropped seq +
// 1, so verification can start there. Nothing is dropped without a
// RetentionSigner, or when signing or storing a checkpoint fails. It
// returns the dropped partitions' names.
//
// Records are partitioned by their own time, which follows seq closely
// but not strictly: a record kept in a younger partition whose seq is
// below the cut is older than the chain's verified start.
func (s *PostgresSink) ApplyRetention(ctx context.Context) ([]string, error) {
	if s.cfg.RetentionDays < 0 {
		return nil, nil
	}
	if s.cfg.RetentionCheckpoint == nil {
		return nil, errors.New("postgres: retention needs a checkpoint signer")
	}
	keepFrom := pgDayOf(s.now()).start().AddDate(0, 0, -(s.cfg.RetentionDays - 1))
	parts, err := s.listPartitions(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var old []pgDay
	for d := range parts {
		if d.start().Before(keepFrom) {
			old = append(old, d)
		}
	}
	if len(old) == 0 {
		return nil, nil
	}
	sort.Slice(old, func(i, j int) bool { return old[i].start().Before(old[j].start()) })

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: retention: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, pgRetentionLockSQL).Scan(&locked); err != nil {
		return nil, fmt.Errorf("postgres: retention lock: %w", err)
	}
	if !locked {
		return nil, nil // another edge is at it
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), pgRetentionUnlockSQL) }()

	// The highest seq per chain among the partitions to drop.
	var union []string
	for _, d := range old {
		union = append(union, fmt.Sprintf("SELECT instance, max(seq) AS seq FROM %s GROUP BY instance", d.partition()))
	}
	rows, err := conn.Query(ctx, "SELECT instance, max(seq) FROM ("+strings.Join(union, " UNION ALL ")+") o GROUP BY instance")
	if err != nil {
		return nil, fmt.Errorf("postgres: retention cut: %w", err)
	}
	type top struct {
		instance string
		seq      int64
	}
	tops, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (top, error) {
		var t top
		return t, r.Scan(&t.instance, &t.seq)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: retention cut: %w", err)
	}
	for _, t := range tops {
		var hash []byte
		if err := conn.QueryRow(ctx, `SELECT hash FROM audit_events WHERE instance = $1 AND seq = $2 ORDER BY ts LIMIT 1`,
			t.instance, t.seq).Scan(&hash); err != nil {
			return nil, fmt.Errorf("postgres: retention cut of %s: %w", t.instance, err)
		}
		cut := RetentionCut{Instance: t.instance, Seq: uint64(t.seq) + 1, PrevHash: pgHash32(hash), Before: keepFrom}
		var have bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_checkpoints WHERE instance = $1 AND seq = $2 AND retention)`,
			cut.Instance, int64(cut.Seq)).Scan(&have); err != nil {
			return nil, fmt.Errorf("postgres: retention checkpoint lookup: %w", err)
		}
		if have {
			continue
		}
		cp, err := s.cfg.RetentionCheckpoint(ctx, cut)
		if err != nil {
			return nil, fmt.Errorf("postgres: signing the retention checkpoint of %s: %w", cut.Instance, err)
		}
		if !cp.Retention || cp.Instance != cut.Instance || cp.Seq != cut.Seq || cp.PrevHash != cut.PrevHash {
			return nil, fmt.Errorf("postgres: the retention signer returned a checkpoint that does not match the cut of %s at %d", cut.Instance, cut.Seq)
		}
		if err := s.insertCheckpoint(ctx, conn, cp); err != nil {
			return nil, err
		}
	}

	var dropped []string
	for _, d := range old {
		name := d.partition()
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// DROP takes an exclusive lock on audit_events: give up rather
			// than queue writers behind a long query; the next run retries.
			if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '5s'`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "DROP TABLE "+name)
			return err
		})
		if err != nil {
			return dropped, fmt.Errorf("postgres: dropping %s: %w", name, err)
		}
		s.partMu.Lock()
		delete(s.parts, d)
		s.partMu.Unlock()
		dropped = append(dropped, name)
	}
	return dropped, nil
}
