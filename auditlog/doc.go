// Package auditlog is the OComms edge's security audit log: one event model
// with ECS field names (and an OCSF projection), a pipeline whose Emit never
// blocks the request that calls it, a durable local spool, sinks (zap, daily
// JSONL files, PostgreSQL), a per-instance hash chain with signed
// checkpoints, verification and investigator queries.
//
// It works at the net/http level and does not import Caddy. Other edge
// packages import it only to emit events.
package auditlog
