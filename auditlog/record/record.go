package record

import (
	"crypto/sha256"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
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
	Event *secevent.Event
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
