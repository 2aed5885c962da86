package console

import (
	"sync"
	"time"
)

// memo keeps the newest answer of each expensive read (the charts and the
// CSP groups scan up to MaxScan events) for one refresh interval, shared
// by every open page: ten operators watching one incident cost the store
// what one does.
type memo struct {
	mu      sync.Mutex
	entries map[string]memoEntry
}

type memoEntry struct {
	v   any
	at  time.Time
	err error
}

// get returns the answer for key computed within ttl of now, or computes
// it with fn (one computation at a time per console).
func (m *memo) get(key string, now time.Time, ttl time.Duration, fn func() (any, error)) (any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[key]; ok && e.err == nil && now.Sub(e.at) < ttl && !now.Before(e.at) {
		return e.v, nil
	}
	v, err := fn()
	if m.entries == nil {
		m.entries = map[string]memoEntry{}
	}
	m.entries[key] = memoEntry{v: v, at: now, err: err}
	return v, err
}
