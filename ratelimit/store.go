package ratelimit

import (
	"context"
	"time"
)

// Check is one zone's question for the store: may Key spend one request
// under Limit?
type Check struct {
	// Zone is the zone's name (labels, headers, Redis key prefix).
	Zone string
	// Key identifies the client within the zone: a hash of the key
	// material, never the material itself.
	Key KeyHash
	// Limit is the zone's rate.
	Limit Limit
	// Lease is the per-instance credit of an approximate zone (a store
	// shared by instances may admit up to Lease requests of this key
	// before the shared state counts them); 0 for an exact zone. Stores
	// local to one process ignore it.
	Lease int64
}

// Store keeps GCRA state. Implementations are safe for concurrent use.
type Store interface {
	// Take decides all checks together: when every check allows, all of
	// them are charged; when any denies, none is. out receives one outcome
	// per check (len(out) == len(checks)).
	Take(ctx context.Context, checks []Check, out []Outcome) (allowed bool, err error)
	// Refund gives back the request charged earlier to each check's key.
	Refund(ctx context.Context, checks []Check) error
}

// Clock returns the current time in nanoseconds. The memory store uses it;
// the Redis store uses the Redis server's clock instead.
type Clock func() int64

// SystemClock is the process's monotonic-backed wall clock.
func SystemClock() int64 { return time.Now().UnixNano() }
