// Package auditlog is the root of the OComms edge's security audit log. It
// holds no code; the log is split along its data flow, one package per
// step, each readable alone:
//
//   - record: the stored record and checkpoint types, the canonical ECS
//     encoding the hash chain covers, its decoder and the OCSF projection.
//   - chain: checkpoint signing, signing keys, and verification of a
//     stored chain (Verify, VerifyTrusted).
//   - pipeline: Emit, the durable spool, delivery to sinks, stats.
//   - sink/jsonl, sink/postgres, sink/zapsink: the stores, each with its
//     own read, query and retention code.
//   - query: the investigator query model (pages, pivots; the filter and
//     its text grammar are secevent's) and its table/ECS/OCSF output.
//   - setup: settings checks and the assembly of sinks and pipeline (the
//     one package that knows every sink); the Caddy adapter calls it.
//
// What each package must not import is in its doc comment, and
// internal/archtest (go list -deps) keeps it true.
//
// The event producers fill is secevent.Event; producers emit through a
// secevent.Emitter and never import these packages. Request-side
// recognition (admin actions, sessions) lives in adminaction. Nothing here
// imports Caddy.
package auditlog
