package caddymodule

import (
	"context"
	"crypto/ed25519"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog"
)

func init() {
	openPostgresSink = newAuditPostgres
}

// newAuditPostgres builds the Postgres sink (pgx pool, no connection yet:
// the sink dials, creates and migrates its schema on first write).
func newAuditPostgres(s auditSettings, key ed25519.PrivateKey, logger *zap.Logger) (postgresParts, error) {
	cfg := auditlog.PostgresConfig{
		URL:                        s.PostgresURL,
		InsecureAllowPlaintext:     s.PGInsecure,
		InsecureAllowUnverifiedTLS: s.PGUnverified,
		RetentionDays:              s.PGRetentionDays,
		Logger:                     logger,
	}
	if key != nil {
		cfg.RetentionCheckpoint = func(_ context.Context, cut auditlog.RetentionCut) (auditlog.Checkpoint, error) {
			return auditlog.Sign(auditlog.Checkpoint{
				Instance: cut.Instance, Seq: cut.Seq, Hash: cut.PrevHash, PrevHash: cut.PrevHash, Retention: true, Time: time.Now(),
			}, key), nil
		}
	}
	pg, err := auditlog.NewPostgresSink(context.Background(), cfg)
	if err != nil {
		return postgresParts{}, err
	}
	return postgresParts{sink: pg, querier: pg, chain: pg}, nil
}
