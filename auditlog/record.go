package auditlog

import (
	"context"
	"crypto/sha256"
	"time"
)

// Record is one event as stored: Data is the exact canonical JSON bytes the
// hash chain covers, and every sink stores Data verbatim (Postgres in a
// bytea/text column, never only as jsonb, which reorders keys).
type Record struct {
	// Instance names the chain (one per edge instance).
	Instance string
	// Seq is the gapless position in the chain, from 1.
	Seq uint64
	// EventID is the event's event.id (UUIDv4).
	EventID string
	// Time is the event's @timestamp.
	Time time.Time
	// Data is the canonical ECS JSON of the event, exactly as hashed.
	Data []byte
	// PrevHash is the previous record's Hash (all zero for Seq 1, or the
	// retention checkpoint's hash when the chain was cut).
	PrevHash [32]byte
	// Hash is ChainHash(PrevHash, Data).
	Hash [32]byte
	// Event is the decoded event, for sinks that index columns (user,
	// IP, action). It is derived from Data; Data is authoritative. It is
	// shared by every sink: sinks must not modify it.
	Event *Event
}

// ChainHash is the chain step: SHA-256(prev || data).
func ChainHash(prev [32]byte, data []byte) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(data)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Checkpoint is a signed commitment to a chain's head: written to every
// sink, verifiable offline with the Ed25519 public key alone.
type Checkpoint struct {
	Instance string
	Seq      uint64
	Hash     [32]byte
	Time     time.Time
	// Retention marks a retention checkpoint: records before Seq were
	// deleted on purpose, and verification may start at Seq with PrevHash.
	Retention bool
	PrevHash  [32]byte
	// PublicKey is the signer's Ed25519 public key; Signature signs the
	// checkpoint's canonical bytes (see the package's checkpoint code).
	PublicKey []byte
	Signature []byte
}

// Sink stores records. Write must be idempotent by (Instance, Seq): the
// pipeline delivers at least once and replays after failures, and a sink
// must neither duplicate nor drop a record it is handed twice.
type Sink interface {
	// Name is a short stable name for logs and metrics ("jsonl", "postgres").
	Name() string
	// Write stores records in order; it returns only when they are durable
	// in the sink, or an error (then the pipeline retries the same batch).
	Write(ctx context.Context, records []Record) error
	// WriteCheckpoint stores a signed checkpoint.
	WriteCheckpoint(ctx context.Context, cp Checkpoint) error
	// Close releases the sink's resources.
	Close() error
}

// Filter selects events for an investigation. Empty fields match all.
type Filter struct {
	UserID  string
	Email   string // matched lower-cased
	IP      string // an address or a CIDR
	Actions []Action
	Outcome Outcome
	Since   time.Time
	Until   time.Time
	// Limit caps a page (default 100, at most 1000).
	Limit int
	// After is a keyset cursor from a previous page (opaque).
	After string
}

// Page is one page of results, newest first.
type Page struct {
	Events []Event
	// Next is the cursor for the following page; empty when done.
	Next string
}

// Querier answers investigations over one store (JSONL files or Postgres).
type Querier interface {
	Query(ctx context.Context, f Filter) (Page, error)
	// AccountsFromIP lists distinct emails/user ids seen from an address
	// or CIDR in the window, with counts (spraying).
	AccountsFromIP(ctx context.Context, ip string, since, until time.Time) ([]Pivot, error)
	// IPsForAccount lists distinct source IPs used by an account in the
	// window, with counts (takeover).
	IPsForAccount(ctx context.Context, account string, since, until time.Time) ([]Pivot, error)
}

// Pivot is one row of an IP↔account pivot.
type Pivot struct {
	Value    string
	Events   int
	Failures int
	First    time.Time
	Last     time.Time
}

// ChainReader reads a store's chains back for verification: every record
// as stored (Data, PrevHash and Hash exactly as the sink kept them),
// ordered by Instance then Seq, and every checkpoint the store holds.
// JSONL files and Postgres both implement it; Verify works on either.
type ChainReader interface {
	ReadRecords(ctx context.Context, fn func(Record) error) error
	ReadCheckpoints(ctx context.Context) ([]Checkpoint, error)
}
