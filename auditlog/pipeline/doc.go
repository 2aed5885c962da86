// Package pipeline owns the write path of the audit log: Emit (which never
// blocks the request), sequencing and hashing into the per-instance chain,
// the durable local spool (segments, locks, prefault), delivery with
// at-least-once retries to every Sink, periodic signed checkpoints and the
// drop/delivery stats.
//
// It imports record, chain and secevent. It must not import a sink
// package, a database driver or Caddy: sinks implement Sink.
package pipeline
