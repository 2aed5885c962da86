// Package zapsink mirrors audit records into a zap logger as flat ECS (or
// OCSF) fields, for Caddy's log pipeline, and reads the signed checkpoints
// back out of such a log so it can anchor verification.
//
// It imports record, chain (to parse checkpoint hashes) and secevent. It
// must not import the pipeline, another sink, a database driver or Caddy.
package zapsink
