package auditlog

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// ReadRecords streams every stored record ordered by instance then seq
// (then ts, so that duplicated seqs come out next to each other), for
// verification. Rows are read from the socket as fn consumes them; memory
// stays flat whatever the table's size.
//
// A stored hash or prev_hash that is not 32 bytes long cannot be put in a
// Record as it is; it is replaced by a value that can match no real hash
// (SHA-256 of a marker and the stored bytes), so verification fails at
// that seq instead of accepting a truncated value.
func (s *PostgresSink) ReadRecords(ctx context.Context, fn func(Record) error) error {
	rows, err := s.pool.Query(ctx, `SELECT instance, seq, event_id, ts, data, prev_hash, hash
		FROM audit_events ORDER BY instance, seq, ts`)
	if err != nil {
		return fmt.Errorf("postgres: reading the chain: %w", err)
	}
	defer rows.Close()
	var (
		instance       string
		seq            int64
		id             pgtype.UUID
		ts             time.Time
		data, ph, hash []byte
	)
	for rows.Next() {
		if err := rows.Scan(&instance, &seq, &id, &ts, &data, &ph, &hash); err != nil {
			return fmt.Errorf("postgres: reading the chain: %w", err)
		}
		r := Record{
			Instance: instance,
			Seq:      uint64(seq),
			Time:     ts.UTC(),
			Data:     append([]byte(nil), data...),
			PrevHash: pgHash32(ph),
			Hash:     pgHash32(hash),
		}
		if id.Valid {
			r.EventID = pgFormatUUID(id.Bytes)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: reading the chain: %w", err)
	}
	return nil
}

// pgHash32 returns b as a [32]byte; a b of another length maps to a value
// no chain step produces.
func pgHash32(b []byte) [32]byte {
	var out [32]byte
	if len(b) == len(out) {
		copy(out[:], b)
		return out
	}
	return sha256.Sum256(append([]byte("ocomms-audit: stored hash of invalid length\x00"), b...))
}

func pgFormatUUID(b [16]byte) string {
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&15])
	}
	return string(out)
}

// ReadCheckpoints returns every stored checkpoint ordered by instance,
// seq, time.
func (s *PostgresSink) ReadCheckpoints(ctx context.Context) ([]Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT instance, seq, retention, hash, prev_hash, time_ns, public_key, signature
		FROM audit_checkpoints ORDER BY instance, seq, time_ns, retention`)
	if err != nil {
		return nil, fmt.Errorf("postgres: reading checkpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Checkpoint, error) {
		var (
			cp       Checkpoint
			seq, ns  int64
			hash, ph []byte
		)
		if err := row.Scan(&cp.Instance, &seq, &cp.Retention, &hash, &ph, &ns, &cp.PublicKey, &cp.Signature); err != nil {
			return cp, err
		}
		cp.Seq = uint64(seq)
		cp.Hash, cp.PrevHash = pgHash32(hash), pgHash32(ph)
		cp.Time = time.Unix(0, ns).UTC()
		return cp, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: reading checkpoints: %w", err)
	}
	return out, nil
}
