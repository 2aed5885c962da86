package lockout

import (
	"context"
	"errors"
	"time"
)

// LockStore keeps the lockout's records: small opaque values under string
// keys, each updated atomically. The lockout engine makes every decision
// in Go over a record read at the store's clock, so the memory and Redis
// stores cannot drift apart in behaviour; the store only guarantees that
// an update applies to the value it was computed from.
//
// Keys carry a Redis Cluster hash tag ({…}) per account, so an account's
// records live in one slot.
type LockStore interface {
	// Update runs fn on the current value of key (nil when absent) and the
	// store's current time, and stores what fn returns, atomically: a nil
	// next deletes the key, a ttl of 0 keeps it until deleted. When next
	// equals cur nothing is written. fn may run more than once (a Redis
	// conflict is retried) and must have no other effect.
	Update(ctx context.Context, key string, fn UpdateFunc) error
	// Scan calls fn with every live key starting with prefix, and its
	// value, for the admin list, one call at a time. Order is
	// unspecified.
	Scan(ctx context.Context, prefix string, fn func(key string, val []byte) error) error
}

// MultiLockStore is a LockStore that can also update several records in
// one atomic step: the lockout then reads and writes the IP and account
// records of a sign-in together, one round trip per phase on Redis.
type MultiLockStore interface {
	LockStore
	// UpdateMulti is Update over several keys at once: fn sees every
	// current value (nil when absent) and returns the next value and TTL
	// of each, all applied atomically. It reports false, having done
	// nothing, when the store cannot update these keys together (Redis
	// Cluster keys in different hash slots); the caller then updates them
	// one by one.
	UpdateMulti(ctx context.Context, keys []string, fn MultiUpdateFunc) (bool, error)
}

// MultiUpdateFunc computes several records' next values from their
// current ones; next and ttl have one element per key.
type MultiUpdateFunc func(now time.Time, cur [][]byte) (next [][]byte, ttl []time.Duration)

// UpdateFunc computes a record's next value from its current one.
type UpdateFunc func(now time.Time, cur []byte) (next []byte, ttl time.Duration)

// multi is fn as a MultiUpdateFunc over one key, for a store whose Update
// is its multi-key update of that key alone.
func (fn UpdateFunc) multi() MultiUpdateFunc {
	return func(now time.Time, cur [][]byte) ([][]byte, []time.Duration) {
		next, ttl := fn(now, cur[0])
		return [][]byte{next}, []time.Duration{ttl}
	}
}

// ErrStoreContention is returned when a Redis record kept changing under
// an update for too many rounds; the guard fails closed.
var ErrStoreContention = errors.New("lockout store: too much contention on one record")
