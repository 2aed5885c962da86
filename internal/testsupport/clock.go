package testsupport

import (
	"sync"
	"time"
)

// Epoch is where a Clock starts unless told otherwise: a fixed instant, so
// a failing test reads the same every run.
var Epoch = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Clock is a settable clock safe for concurrent use. It stands still
// unless a test advances it, or ticks a fixed step on every reading when
// made with Ticking (for code that needs strictly increasing times).
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// NewClock returns a Clock standing at Epoch.
func NewClock() *Clock { return &Clock{t: Epoch} }

// NewClockAt returns a Clock standing at t.
func NewClockAt(t time.Time) *Clock { return &Clock{t: t} }

// Ticking makes every reading advance the clock by step first, and returns
// c.
func (c *Clock) Ticking(step time.Duration) *Clock {
	c.mu.Lock()
	c.step = step
	c.mu.Unlock()
	return c
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// UnixNano returns the clock's time in nanoseconds since the Unix epoch,
// for stores that keep time as an int64.
func (c *Clock) UnixNano() int64 { return c.Now().UnixNano() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
