package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// ReadRecords streams every stored record ordered by instance then seq
// (then ts, so that duplicated seqs come out next to each other), for
// verification. Rows are read from the socket as fn consumes them; memory
// stays flat whatever the table's size.
//
// The chain covers data, prev_hash and hash; the indexed columns (event
// id, time, action, outcome, user, email, IP, status) are copies derived
// from data that queries filter on. Each row's columns are derived again
// from its data and compared: a row whose columns were edited is handed
// to fn with a Hash no chain step produces, so verification names that
// seq. A stored hash or prev_hash that is not 32 bytes long is replaced
// the same way rather than truncated.
func (s *PostgresSink) ReadRecords(ctx context.Context, fn func(record.Record) error) error {
	bad, first, err := pgReadRecords(ctx, s.pool, fn)
	if bad > 0 {
		s.log.Warn("audit rows whose indexed columns disagree with their hashed data",
			zap.Int("rows", bad), zap.String("first_instance", first.Instance), zap.Uint64("first_seq", first.Seq))
	}
	return err
}

// pgQuerier is a pool, a connection or a transaction.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// pgReadRecords is ReadRecords over q; it returns how many rows had
// columns that disagree with their data and the first of them. The
// reading goroutine only copies each row's raw binary values into a
// batch; GOMAXPROCS workers decode the batches and check the columns
// (pgReadBatch.check), and one goroutine hands the records to fn in the
// order they were read. Record.Data aliases its batch's buffer, which is
// never reused.
func pgReadRecords(ctx context.Context, q pgQuerier, fn func(record.Record) error) (int, record.Record, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Every column in binary: no text casts on the server, no text
	// parsing here; the raw values are decoded by the workers.
	rows, err := q.Query(ctx, pgChainSQL, pgx.QueryResultFormats{pgx.BinaryFormatCode})
	if err != nil {
		return 0, record.Record{}, fmt.Errorf("postgres: reading the chain: %w", err)
	}
	defer rows.Close()
	if err := pgCheckChainFields(rows.FieldDescriptions()); err != nil {
		rows.Close()
		if rerr := rows.Err(); rerr != nil {
			err = rerr // the query failed: that is the news, not its columns
		}
		return 0, record.Record{}, fmt.Errorf("postgres: reading the chain: %w", err)
	}

	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *pgReadBatch, workers)
	ordered := make(chan *pgReadBatch, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.check()
				close(b.done)
			}
		}()
	}
	var (
		fnErr  error
		bad    int
		first  record.Record
		emitWG sync.WaitGroup
	)
	emitWG.Add(1)
	go func() {
		defer emitWG.Done()
		for b := range ordered {
			<-b.done
			if fnErr != nil {
				continue
			}
			if b.err != nil {
				fnErr = fmt.Errorf("postgres: reading the chain: %w", b.err)
				cancel()
				continue
			}
			if b.bad > 0 && bad == 0 {
				first = b.first
			}
			bad += b.bad
			for _, r := range b.recs {
				if err := fn(r); err != nil {
					fnErr = err
					cancel()
					break
				}
			}
		}
	}()

	b := newPGReadBatch()
	flush := func() {
		work <- b
		ordered <- b
		b = newPGReadBatch()
	}
	for rows.Next() {
		b.add(rows.RawValues())
		if len(b.rows) == pgReadBatchSize || len(b.arena) >= pgReadArenaFlush {
			flush()
		}
	}
	if len(b.rows) > 0 {
		flush()
	}
	close(work)
	close(ordered)
	wg.Wait()
	emitWG.Wait()
	if fnErr != nil {
		return bad, first, fnErr
	}
	if err := rows.Err(); err != nil {
		return bad, first, fmt.Errorf("postgres: reading the chain: %w", err)
	}
	return bad, first, nil
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
func (s *PostgresSink) ReadCheckpoints(ctx context.Context) ([]record.Checkpoint, error) {
	return pgReadCheckpoints(ctx, s.pool)
}

func pgReadCheckpoints(ctx context.Context, q pgQuerier) ([]record.Checkpoint, error) {
	rows, err := q.Query(ctx, `SELECT instance, seq, retention, hash, prev_hash, time_ns, public_key, signature
		FROM audit_checkpoints ORDER BY instance, seq, time_ns, retention`)
	if err != nil {
		return nil, fmt.Errorf("postgres: reading checkpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (record.Checkpoint, error) {
		var (
			cp       record.Checkpoint
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

// Head returns the highest stored seq of a chain and its hash (0 and the
// zero hash for an empty chain or a database without the schema yet), so
// a pipeline whose spool was lost continues the chain instead of
// restarting at 1.
func (s *PostgresSink) Head(ctx context.Context, instance string) (uint64, [32]byte, error) {
	var (
		seq  int64
		hash []byte
	)
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_events WHERE instance = $1 ORDER BY seq DESC LIMIT 1`, instance).Scan(&seq, &hash)
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows), errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return 0, [32]byte{}, nil
	case err != nil:
		return 0, [32]byte{}, fmt.Errorf("postgres: reading the head of %s: %w", instance, err)
	}
	return uint64(seq), pgHash32(hash), nil
}
