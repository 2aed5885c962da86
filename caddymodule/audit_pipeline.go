package caddymodule

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog"
)

// auditBackend is what the app needs from a running audit pipeline.
type auditBackend interface {
	auditlog.Emitter
	Close(ctx context.Context) error
}

// auditStore is what the admin API queries and verifies: the Postgres sink
// when configured, else the JSONL files. Nil fields are not available.
type auditStore struct {
	querier   auditlog.Querier
	chain     auditlog.ChainReader
	publicKey ed25519.PublicKey
	name      string // "jsonl" or "postgres"
}

// openAudit builds the pipeline for s: the zap sink, the JSONL sink, and
// the Postgres sink when configured.
//
// Until the auditlog pipeline lands this logs each event to the
// ocomms.audit logger only.
func openAudit(s auditSettings, logger *zap.Logger) (auditBackend, auditStore, error) {
	return &logBackend{logger: logger}, auditStore{}, nil
}

type logBackend struct{ logger *zap.Logger }

func (b *logBackend) Emit(e auditlog.Event) {
	b.logger.Info(string(e.Action), zap.String("outcome", string(e.Outcome)), zap.String("user.id", e.UserID),
		zap.String("source.ip", e.SourceIP), zap.String("url.path", e.Path), zap.Int("status", e.Status), zap.Any("labels", e.Labels))
}

func (b *logBackend) Close(context.Context) error { return nil }

// marshalAuditEvent is an event's canonical ECS document.
func marshalAuditEvent(e auditlog.Event) (json.RawMessage, error) {
	return json.Marshal(e)
}

// auditVerifyResult is what verification found, for the admin API and the
// CLI.
type auditVerifyResult struct {
	Store       string `json:"store,omitempty"`
	OK          bool   `json:"ok"`
	Records     uint64 `json:"records"`
	Checkpoints int    `json:"checkpoints"`
	FirstBadSeq uint64 `json:"first_bad_seq,omitempty"`
	Instance    string `json:"instance,omitempty"`
	Problem     string `json:"problem,omitempty"`
}

// verifyAuditStore runs auditlog.Verify over a store.
func verifyAuditStore(ctx context.Context, chain auditlog.ChainReader, pub ed25519.PublicKey) (auditVerifyResult, error) {
	return auditVerifyResult{}, errors.New("verification is not available yet")
}

// unmarshalAuditEvent decodes marshalAuditEvent's output.
func unmarshalAuditEvent(doc []byte) (auditlog.Event, error) {
	var e auditlog.Event
	err := json.Unmarshal(doc, &e)
	return e, err
}

// parseAuditPublicKey reads a public key file.
func parseAuditPublicKey(raw []byte) (ed25519.PublicKey, error) {
	return nil, errors.New("not available yet")
}

// openOfflineStore opens a store for the CLI: the JSONL files in dir, or
// PostgreSQL at pgURL.
func openOfflineStore(ctx context.Context, dir, pgURL string) (auditStore, func(), error) {
	return auditStore{}, nil, errors.New("not available yet")
}
