// Package jsonl is the audit log's file store: daily JSON-lines files per
// instance, written idempotently by (instance, seq), with their reader
// (a chain.ChainReader), their query engine (a query.Querier) and
// retention.
//
// It imports record, chain, query and secevent. It must not import the
// pipeline, another sink, a database driver or Caddy.
package jsonl
