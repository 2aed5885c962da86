package main

import (
	"errors"
	"testing"
	"time"
)

// TestResultRecord: every operation counts with its status and latency; a
// transport error or an unexpected status is a failure, and the first one
// is the one reported.
func TestResultRecord(t *testing.T) {
	r := result{statuses: map[int]int{}}
	r.record(200, nil, time.Millisecond, 200)
	r.record(429, nil, 2*time.Millisecond, 200)
	r.record(0, errors.New("connection reset"), 3*time.Millisecond, 200)
	if r.ops != 3 || r.errs != 2 || len(r.lat) != 3 || r.lat[2] != 3*time.Millisecond {
		t.Fatalf("ops %d errs %d lat %v", r.ops, r.errs, r.lat)
	}
	if r.statuses[200] != 1 || r.statuses[429] != 1 || r.statuses[0] != 1 {
		t.Fatalf("statuses %v", r.statuses)
	}
	if r.firstErr != "status 429: <nil>" {
		t.Fatalf("first error %q, want the 429", r.firstErr)
	}
}
