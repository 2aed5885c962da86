package setup

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/sink/jsonl"
	"github.com/ocomms/ocomms-edge/auditlog/sink/postgres"
	"github.com/ocomms/ocomms-edge/auditlog/sink/zapsink"
)

// Store is what the admin API and the CLI query and verify: the Postgres
// sink when configured, else the JSONL files. A nil Querier or Chain is
// not available.
type Store struct {
	Querier   query.Querier
	Chain     chain.ChainReader
	PublicKey ed25519.PublicKey
	Instance  string // this edge's chain in the store
	Name      string // "jsonl" or "postgres"
}

// OwnChain is what a running edge can vouch for: its own chain, checked
// with its own key (a shared PostgreSQL also holds other instances'
// chains, signed with their keys).
func (st Store) OwnChain() chain.TrustedKeys {
	return chain.TrustedKeys{
		ByInstance: map[string][]ed25519.PublicKey{st.Instance: {st.PublicKey}},
		Only:       []string{st.Instance},
	}
}

// Open builds the pipeline for s: the zap sink (on logger), the JSONL
// sink, and the Postgres sink when configured. The Caddy adapter calls it
// from the app's Start, never from Provision.
func Open(s Settings, logger *zap.Logger) (_ *pipeline.Pipeline, _ Store, err error) {
	key, err := chain.LoadOrCreateSigningKey(s.SigningKey)
	if err != nil {
		return nil, Store{}, err
	}
	var sinks []pipeline.Sink
	defer func() {
		if err != nil { // the pipeline owns the sinks only once it is built
			for _, sk := range sinks {
				_ = sk.Close()
			}
		}
	}()
	store := Store{PublicKey: key.Public().(ed25519.PublicKey)}
	switch {
	case s.LogOff:
	case s.LogFormat == "ocsf":
		sinks = append(sinks, zapsink.NewZapSinkOCSF(logger))
	default:
		sinks = append(sinks, zapsink.NewZapSink(logger))
	}
	if !s.JSONLOff {
		j, err := jsonl.OpenJSONL(jsonl.JSONLConfig{
			Dir:           s.Dir,
			RetentionDays: s.RetentionDays,
			SigningKey:    key,
			Logger:        logger.Named("jsonl"),
		})
		if err != nil {
			return nil, Store{}, err
		}
		sinks = append(sinks, j)
		store.Querier, store.Chain, store.Name = j, j, "jsonl"
	}
	if s.PostgresURL != "" {
		pg, err := OpenPostgres(s, key, logger)
		if err != nil {
			return nil, Store{}, err
		}
		sinks = append(sinks, pg)
		store.Querier, store.Chain, store.Name = pg, pg, "postgres"
	}
	p, err := pipeline.NewPipeline(pipeline.Config{
		Instance:           s.Instance,
		Sinks:              sinks,
		SpoolDir:           s.Spool,
		FsyncInterval:      s.Fsync,
		QueueSize:          s.QueueSize,
		CheckpointInterval: s.CheckpointInterval,
		CheckpointEvery:    s.CheckpointEvery,
		RetryMax:           s.RetryMax,
		SigningKey:         key,
		Logger:             logger.Named("pipeline"),
	})
	if err != nil {
		return nil, Store{}, err
	}
	store.Instance = p.Instance()
	return p, store, nil
}

// OpenPostgres builds the Postgres sink (pgx pool, no connection yet: the
// sink dials, creates and migrates its schema on first write). key signs
// the retention checkpoints written before partitions are dropped; nil
// (read-only use) drops nothing.
func OpenPostgres(s Settings, key ed25519.PrivateKey, logger *zap.Logger) (*postgres.PostgresSink, error) {
	return postgres.NewPostgresSink(context.Background(), postgres.PostgresConfig{
		URL:                        s.PostgresURL,
		InsecureAllowPlaintext:     s.PGInsecure,
		InsecureAllowUnverifiedTLS: s.PGUnverified,
		RetentionDays:              s.PGRetentionDays,
		PartitionsAhead:            s.PGPartitionsAhead,
		BatchSize:                  s.PGBatchSize,
		MaxConns:                   int32(s.PGMaxConns),
		WriteTimeout:               s.PGWriteTimeout,
		SigningKey:                 key,
		Logger:                     logger,
	})
}

// OpenOffline opens a store for the CLI: the JSONL files in dir, or
// PostgreSQL at pgURL. Call the returned function to close it.
func OpenOffline(ctx context.Context, dir, pgURL string) (Store, func(), error) {
	if pgURL != "" {
		pg, err := OpenPostgres(Settings{PostgresURL: pgURL, PGRetentionDays: -1}, nil, zap.NewNop())
		if err != nil {
			return Store{}, nil, err
		}
		return Store{Querier: pg, Chain: pg, Name: "postgres"}, func() { _ = pg.Close() }, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return Store{}, nil, fmt.Errorf("audit JSONL directory: %w", err)
	}
	j, err := jsonl.OpenJSONL(jsonl.JSONLConfig{Dir: dir, RetentionDays: -1, ReadOnly: true})
	if err != nil {
		return Store{}, nil, err
	}
	return Store{Querier: j, Chain: j, Name: "jsonl"}, func() { _ = j.Close() }, nil
}
