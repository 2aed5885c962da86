package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/defaults"
	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// PostgresSink stores the audit log in PostgreSQL: one row per record in
// daily partitions of audit_events, checkpoints in audit_checkpoints. It
// implements Sink, Querier and ChainReader.
//
// It connects lazily: NewPostgresSink does no network I/O. The schema is
// created or migrated by the first Write or WriteCheckpoint (or Migrate);
// queries and chain reads never change the schema, so a read-only role can
// run them.
type PostgresSink struct {
	cfg  PostgresConfig
	pool *pgxpool.Pool
	log  *zap.Logger

	readyMu   sync.Mutex
	ready     bool
	lastMaint time.Time

	partMu sync.Mutex
	parts  map[pgDay]bool

	// replays counts batches written through the 23505 fallback.
	replays atomic.Int64
}

var (
	_ pipeline.Sink       = (*PostgresSink)(nil)
	_ query.Querier       = (*PostgresSink)(nil)
	_ chain.ChainReader   = (*PostgresSink)(nil)
	_ pipeline.HeadReader = (*PostgresSink)(nil)
)

// pgMaintenanceEvery is how often writes also create partitions ahead and
// apply retention.
const pgMaintenanceEvery = time.Hour

// NewPostgresSink validates cfg (SEC-05 TLS rule included) and builds the
// connection pool without connecting.
func NewPostgresSink(ctx context.Context, cfg PostgresConfig) (*PostgresSink, error) {
	if cfg.RetentionDays == 0 {
		cfg.RetentionDays = DefaultPostgresRetentionDays
	}
	defaults.Positive(&cfg.PartitionsAhead, DefaultPostgresPartitionsAhead)
	defaults.Positive(&cfg.BatchSize, DefaultPostgresBatchSize)
	defaults.Positive(&cfg.WriteTimeout, DefaultPostgresWriteTimeout)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetentionCheckpoint == nil && cfg.SigningKey != nil {
		key, now := cfg.SigningKey, cfg.Now
		cfg.RetentionCheckpoint = func(_ context.Context, cut RetentionCut) (record.Checkpoint, error) {
			return chain.Sign(record.Checkpoint{Instance: cut.Instance, Seq: cut.Seq, Hash: cut.PrevHash, PrevHash: cut.PrevHash,
				Time: now(), Retention: true}, key), nil
		}
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	pc, err := parsePostgresConfig(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: creating the pool for %s: %s", RedactPostgresURL(cfg.URL), scrubSecrets(cfg.URL, err.Error()))
	}
	return &PostgresSink{
		cfg:   cfg,
		pool:  pool,
		log:   log.Named("postgres"),
		parts: map[pgDay]bool{},
	}, nil
}

// Name is "postgres".
func (s *PostgresSink) Name() string { return "postgres" }

// Close closes the pool.
func (s *PostgresSink) Close() error {
	s.pool.Close()
	return nil
}

func (s *PostgresSink) now() time.Time { return s.cfg.Now() }

// Migrate creates or upgrades the schema and today's and the coming days'
// partitions now, instead of at the first write.
func (s *PostgresSink) Migrate(ctx context.Context) error {
	return s.ensureReady(ctx)
}

// ensureReady migrates once, then runs maintenance hourly. A failure is
// returned (the write is retried, and migration with it).
func (s *PostgresSink) ensureReady(ctx context.Context) error {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	if !s.ready {
		if err := s.migrate(ctx); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		if err := s.ensureAhead(ctx); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		s.ready = true
		s.lastMaint = s.now()
		s.retainLogged(ctx)
		return nil
	}
	if s.now().Sub(s.lastMaint) < pgMaintenanceEvery {
		return nil
	}
	s.lastMaint = s.now()
	if err := s.ensureAhead(ctx); err != nil {
		// Not fatal: writes create their own day's partition on demand.
		s.log.Warn("creating audit partitions ahead failed", zap.Error(err))
	}
	s.retainLogged(ctx)
	return nil
}

// retainLogged applies retention and logs, never fails the caller.
func (s *PostgresSink) retainLogged(ctx context.Context) {
	if s.cfg.RetentionDays < 0 || s.cfg.RetentionCheckpoint == nil {
		return
	}
	dropped, err := s.ApplyRetention(ctx)
	if err != nil {
		s.log.Warn("audit retention failed; will retry", zap.Error(err))
		return
	}
	if len(dropped) > 0 {
		s.log.Info("audit partitions dropped by retention", zap.Strings("partitions", dropped), zap.Int("retention_days", s.cfg.RetentionDays))
	}
}
