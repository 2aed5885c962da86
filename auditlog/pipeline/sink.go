package pipeline

import (
	"context"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// Sink stores records. Write must be idempotent by (Instance, Seq): the
// pipeline delivers at least once and replays after failures, and a sink
// must neither duplicate nor drop a record it is handed twice.
type Sink interface {
	// Name is a short stable name for logs and metrics ("jsonl", "postgres").
	Name() string
	// Write stores records in order; it returns only when they are durable
	// in the sink, or an error (then the pipeline retries the same batch).
	Write(ctx context.Context, records []record.Record) error
	// WriteCheckpoint stores a signed checkpoint.
	WriteCheckpoint(ctx context.Context, cp record.Checkpoint) error
	// Close releases the sink's resources.
	Close() error
}
