package chain

import (
	"context"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// ChainReader reads a store's chains back for verification: every record
// as stored (Data, PrevHash and Hash exactly as the sink kept them),
// ordered by Instance then Seq, and every checkpoint the store holds.
// JSONL files and Postgres both implement it; Verify works on either.
type ChainReader interface {
	ReadRecords(ctx context.Context, fn func(record.Record) error) error
	ReadCheckpoints(ctx context.Context) ([]record.Checkpoint, error)
}

// MalformedLine is a JSONL line that parses as neither a record nor a
// checkpoint: damage or tampering, reported by Verify.
type MalformedLine struct {
	File string
	Line int
	Err  string
}
