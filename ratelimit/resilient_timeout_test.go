package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestResilientOneTimeoutIsNotAnOutage: a single slow answer falls back for
// that decision only; the breaker opens on the slowCallsToOpen-th timeout
// in a row, and any answer in between resets the count.
func TestResilientOneTimeoutIsNotAnOutage(t *testing.T) {
	slow := &flakyPrimary{}
	s := NewResilientStore(slow, NewMemoryStore(0, nil), ResilientOptions{})
	take := func() Source {
		_, src := s.TakeWithSource(context.Background(), []Check{rlCheck("z", 1, time.Minute, 100)}, make([]Outcome, 1))
		return src
	}
	slow.err = context.DeadlineExceeded
	for i := 1; i < slowCallsToOpen; i++ {
		if src := take(); src != SourceLocal || s.Open() {
			t.Fatalf("timeout %d: source %v, open %v; want a local decision with the breaker closed", i, src, s.Open())
		}
	}
	slow.err = nil
	if src := take(); src != SourcePrimary {
		t.Fatalf("an answer after timeouts: source %v", src)
	}
	slow.err = context.DeadlineExceeded
	for i := 1; i < slowCallsToOpen; i++ {
		take()
	}
	if s.Open() {
		t.Fatal("the count of timeouts was not reset by the answer in between")
	}
	take()
	if !s.Open() {
		t.Fatalf("%d timeouts in a row did not open the breaker", slowCallsToOpen)
	}
	slow.err = errors.New("connection refused")
	s2 := NewResilientStore(slow, NewMemoryStore(0, nil), ResilientOptions{})
	s2.TakeWithSource(context.Background(), []Check{rlCheck("z", 1, time.Minute, 100)}, make([]Outcome, 1))
	if !s2.Open() {
		t.Fatal("a connection error must open the breaker at once")
	}
}

// flakyPrimary answers with err when set, or admits.
type flakyPrimary struct{ err error }

func (f *flakyPrimary) Take(_ context.Context, checks []Check, out []Outcome) (bool, error) {
	if f.err != nil {
		return false, fmt.Errorf("take: %w", f.err)
	}
	for i := range out {
		out[i] = Outcome{Allowed: true}
	}
	return true, nil
}
func (f *flakyPrimary) Refund(context.Context, []Check) error { return f.err }
func (f *flakyPrimary) Ping(context.Context) error            { return f.err }
