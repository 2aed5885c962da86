// Package setup assembles a running audit log from resolved settings: it
// checks the settings, opens the configured sinks (zap mirror, JSONL
// files, PostgreSQL) and the pipeline in front of them, opens a store
// offline for the CLI, and turns a chain verification into the result the
// admin API and the CLI print.
//
// It is the one audit package that knows every sink. It must not import
// Caddy: the Caddy adapter resolves placeholders and paths into Settings
// and owns the pooling across config reloads.
package setup
