package caddymodule

import (
	"context"
	"crypto/ed25519"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/sink/postgres"
)

func init() {
	openPostgresSink = newAuditPostgres
}

// newAuditPostgres builds the Postgres sink (pgx pool, no connection yet:
// the sink dials, creates and migrates its schema on first write). key
// signs the retention checkpoints written before partitions are dropped;
// nil (read-only use) drops nothing.
func newAuditPostgres(s auditSettings, key ed25519.PrivateKey, logger *zap.Logger) (postgresParts, error) {
	pg, err := postgres.NewPostgresSink(context.Background(), postgres.PostgresConfig{
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
	if err != nil {
		return postgresParts{}, err
	}
	return postgresParts{sink: pg, querier: pg, chain: pg}, nil
}
