package ratelimit

import "time"

// Limit is one zone's GCRA parameters.
type Limit struct {
	// Interval is the emission interval T (period / count).
	Interval time.Duration
	// Burst is how many requests may arrive at once (at least 1).
	Burst int64
}

// tolerance is GCRA's burst tolerance τ: how far ahead of now the
// theoretical arrival time may run.
func (l Limit) tolerance() time.Duration { return time.Duration(l.Burst) * l.Interval }

// Outcome is one zone's part of a decision.
type Outcome struct {
	// Allowed reports whether this zone would admit the request.
	Allowed bool
	// Remaining is how many more requests this zone admits right now.
	Remaining int64
	// RetryAfter is how long until this zone admits the request (zero when
	// Allowed).
	RetryAfter time.Duration
	// ResetAfter is how long until this zone's budget is full again.
	ResetAfter time.Duration
}

// gcra decides one request against theoretical arrival time tat (the
// zero time means a fresh key) at now. It returns the outcome and the TAT to
// store if the request is admitted. All times are nanoseconds on the
// store's clock.
//
// The virtual-scheduling form: the request is admitted when the new TAT,
// tat' = max(tat, now) + T, is at most now + τ; then τ - (tat' - now) more
// requests' worth of time remains.
func gcra(tat, now int64, l Limit) (Outcome, int64) {
	interval, tau := int64(l.Interval), int64(l.tolerance())
	if tat < now {
		tat = now
	}
	newTAT := tat + interval
	allowAt := newTAT - tau
	if now < allowAt {
		return Outcome{
			RetryAfter: time.Duration(allowAt - now),
			ResetAfter: time.Duration(tat - now),
		}, tat
	}
	return Outcome{
		Allowed:    true,
		Remaining:  (now - allowAt) / interval,
		ResetAfter: time.Duration(newTAT - now),
	}, newTAT
}

// refund gives one request back: the TAT moves one interval earlier. A TAT
// at or before now means a full budget, which the caller may forget.
func refund(tat int64, l Limit) int64 { return tat - int64(l.Interval) }
