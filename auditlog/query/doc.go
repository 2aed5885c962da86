// Package query owns the investigator's view of the audit log: Filter,
// Page, Pivot and the Querier interface every store answers, cursors,
// the in-memory Matcher file-based stores share, FailedSignIns, and the
// table/ECS/OCSF writers of the CLI and admin API (including verification
// reports).
//
// It imports record, chain and secevent. It must not import a sink
// package, a database driver or Caddy: stores implement Querier.
package query
