package testsupport

import (
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Events is a secevent.Emitter that keeps every event it is given, for
// tests that assert on what a capability emitted. Safe for concurrent use.
type Events struct {
	mu     sync.Mutex
	events []secevent.Event
	more   chan struct{}
}

// NewEvents returns an empty recorder.
func NewEvents() *Events { return &Events{more: make(chan struct{}, 1)} }

// Emit records e.
func (r *Events) Emit(e secevent.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
}

// All returns a copy of the events recorded so far, in order.
func (r *Events) All() []secevent.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]secevent.Event(nil), r.events...)
}

// Of returns the recorded events whose action is a.
func (r *Events) Of(a secevent.Action) []secevent.Event {
	var out []secevent.Event
	for _, e := range r.All() {
		if e.Action == a {
			out = append(out, e)
		}
	}
	return out
}

// Reset forgets every event recorded so far.
func (r *Events) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// Wait returns the events once at least n were recorded, and fails the
// test if they do not come within a generous liveness deadline (events
// may be emitted by goroutines after the call under test returns).
func (r *Events) Wait(t testing.TB, n int) []secevent.Event {
	t.Helper()
	deadline := time.After(Liveness)
	for {
		if all := r.All(); len(all) >= n {
			return all
		}
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("recorded %d events, want %d: %+v", len(r.All()), n, r.All())
			return nil
		}
	}
}

// Liveness is how long a test waits for something that must happen
// before it fails as hung: generous, so a loaded machine never fails a
// test that is about outcomes rather than speed.
const Liveness = 30 * time.Second

// Count returns how many recorded events have action a and, when reason
// is not empty, that reason.
func (r *Events) Count(a secevent.Action, reason string) int {
	n := 0
	for _, e := range r.All() {
		if e.Action == a && (reason == "" || e.Reason == reason) {
			n++
		}
	}
	return n
}

// Actions returns the actions of the recorded events, in order.
func (r *Events) Actions() []secevent.Action {
	all := r.All()
	out := make([]secevent.Action, len(all))
	for i, e := range all {
		out[i] = e.Action
	}
	return out
}

// Last returns the most recent event with action a.
func (r *Events) Last(a secevent.Action) (secevent.Event, bool) {
	all := r.All()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Action == a {
			return all[i], true
		}
	}
	return secevent.Event{}, false
}
