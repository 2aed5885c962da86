package caddymodule

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/sink/jsonl"
	"github.com/ocomms/ocomms-edge/auditlog/sink/postgres"
	"github.com/ocomms/ocomms-edge/auditlog/sink/zapsink"
	"github.com/ocomms/ocomms-edge/secevent"
)

// auditBackend is what the app needs from a running audit pipeline.
type auditBackend interface {
	secevent.Emitter
	Close(ctx context.Context) error
	Stats() pipeline.Stats
}

// auditStore is what the admin API and the CLI query and verify: the
// Postgres sink when configured, else the JSONL files. A nil querier or
// chain is not available.
type auditStore struct {
	querier   query.Querier
	chain     chain.ChainReader
	publicKey ed25519.PublicKey
	instance  string // this edge's chain in the store
	name      string // "jsonl" or "postgres"
}

// ownChain is what a running edge can vouch for: its own chain, checked
// with its own key (a shared PostgreSQL also holds other instances'
// chains, signed with their keys).
func (st auditStore) ownChain() chain.TrustedKeys {
	return chain.TrustedKeys{
		ByInstance: map[string][]ed25519.PublicKey{st.instance: {st.publicKey}},
		Only:       []string{st.instance},
	}
}

// openAudit builds the pipeline for s: the zap sink (logger ocomms.audit),
// the JSONL sink, and the Postgres sink when configured. It is called from
// the app's Start, never from Provision.
func openAudit(s auditSettings, logger *zap.Logger) (auditBackend, auditStore, error) {
	key, err := chain.LoadOrCreateSigningKey(s.SigningKey)
	if err != nil {
		return nil, auditStore{}, err
	}
	var sinks []pipeline.Sink
	closeAll := func() {
		for _, sk := range sinks {
			_ = sk.Close()
		}
	}
	store := auditStore{publicKey: key.Public().(ed25519.PublicKey)}
	switch {
	case s.LogOff:
	case s.LogFormat == "ocsf":
		sinks = append(sinks, zapsink.NewZapSinkOCSF(logger))
	default:
		sinks = append(sinks, zapsink.NewZapSink(logger))
	}
	if !s.JSONLOff {
		jsonl, err := jsonl.OpenJSONL(jsonl.JSONLConfig{
			Dir:           s.Dir,
			RetentionDays: s.RetentionDays,
			SigningKey:    key,
			Logger:        logger.Named("jsonl"),
		})
		if err != nil {
			closeAll()
			return nil, auditStore{}, err
		}
		sinks = append(sinks, jsonl)
		store.querier, store.chain, store.name = jsonl, jsonl, "jsonl"
	}
	if s.PostgresURL != "" {
		pg, err := openPostgresSink(s, key, logger)
		if err != nil {
			closeAll()
			return nil, auditStore{}, err
		}
		sinks = append(sinks, pg)
		store.querier, store.chain, store.name = pg, pg, "postgres"
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
		closeAll()
		return nil, auditStore{}, err
	}
	store.instance = p.Instance()
	return p, store, nil
}

// openPostgresSink builds the Postgres sink (pgx pool, no connection yet:
// the sink dials, creates and migrates its schema on first write). key
// signs the retention checkpoints written before partitions are dropped;
// nil (read-only use) drops nothing.
func openPostgresSink(s auditSettings, key ed25519.PrivateKey, logger *zap.Logger) (*postgres.PostgresSink, error) {
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

// openOfflineStore opens a store for the CLI: the JSONL files in dir, or
// PostgreSQL at pgURL.
func openOfflineStore(ctx context.Context, dir, pgURL string) (auditStore, func(), error) {
	if pgURL != "" {
		pg, err := openPostgresSink(auditSettings{PostgresURL: pgURL, PGRetentionDays: -1}, nil, zap.NewNop())
		if err != nil {
			return auditStore{}, nil, err
		}
		return auditStore{querier: pg, chain: pg, name: "postgres"}, func() { _ = pg.Close() }, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return auditStore{}, nil, fmt.Errorf("audit JSONL directory: %w", err)
	}
	j, err := jsonl.OpenJSONL(jsonl.JSONLConfig{Dir: dir, RetentionDays: -1, ReadOnly: true})
	if err != nil {
		return auditStore{}, nil, err
	}
	st := auditStore{chain: j, name: "jsonl"}
	if q, ok := any(j).(query.Querier); ok {
		st.querier = q
	}
	return st, func() { _ = j.Close() }, nil
}

// auditVerifyResult is what verification found, for the admin API and the
// CLI.
type auditVerifyResult struct {
	Store       string `json:"store,omitempty"`
	OK          bool   `json:"ok"`
	Records     int    `json:"records"`
	Checkpoints int    `json:"checkpoints"`
	// FirstBadSeq is the first untrustworthy sequence number of the first
	// bad chain (0: none, or unknown for a malformed line).
	FirstBadSeq uint64                 `json:"first_bad_seq,omitempty"`
	Instance    string                 `json:"instance,omitempty"`
	Problem     string                 `json:"problem,omitempty"`
	Problems    []auditVerifyProblem   `json:"problems,omitempty"`
	Instances   []chain.InstanceReport `json:"instances,omitempty"`
}

type auditVerifyProblem struct {
	Instance string `json:"instance"`
	Seq      uint64 `json:"seq"`
	Kind     string `json:"kind"`
	Detail   string `json:"detail"`
}

// verifyAuditStore runs auditlog.VerifyTrusted over a store.
func verifyAuditStore(ctx context.Context, reader chain.ChainReader, keys chain.TrustedKeys) (auditVerifyResult, error) {
	if reader == nil {
		return auditVerifyResult{}, errors.New("this store cannot be verified")
	}
	rep, err := chain.VerifyTrusted(ctx, reader, keys)
	if err != nil {
		return auditVerifyResult{}, err
	}
	res := auditVerifyResult{OK: rep.OK(), Records: rep.Records, Checkpoints: rep.Checkpoints, Instances: rep.Instances}
	for _, p := range rep.Problems {
		res.Problems = append(res.Problems, auditVerifyProblem{p.Instance, p.Seq, string(p.Kind), p.Detail})
	}
	if len(rep.Problems) > 0 {
		p := rep.Problems[0]
		res.FirstBadSeq, res.Instance, res.Problem = p.Seq, p.Instance, string(p.Kind)+": "+p.Detail
	}
	return res, nil
}
