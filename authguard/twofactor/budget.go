package twofactor

import (
	"encoding/json"
	"time"
)

// policy is one budget's rules.
type policy struct {
	max        int             // consecutive failures before a lock
	locks      []time.Duration // lock durations; empty: spent for good
	delays     []time.Duration // wait after the k-th consecutive failure
	dailyCap   int             // failures per rolling Window; 0: none
	resetAfter time.Duration   // quiet time that forgets consecutive failures
	resv       time.Duration   // reservation lifetime
}

// resv is an admitted attempt in flight.
type resv struct {
	ID string `json:"i"`
	X  int64  `json:"x"` // expiry, ms
}

// record is one budget's state, JSON in the store. Times are Unix ms of
// the store's clock.
type record struct {
	N  int     `json:"n,omitempty"`  // consecutive failures
	L  int     `json:"l,omitempty"`  // locks so far (escalation)
	LU int64   `json:"lu,omitempty"` // locked until
	LF int64   `json:"lf,omitempty"` // last failure
	D  []int64 `json:"d,omitempty"`  // failures within the last Window
	Q  []resv  `json:"q,omitempty"`  // in flight
	// Pending records only: the account key and the record's expiry.
	A string `json:"a,omitempty"`
	E int64  `json:"e,omitempty"`
}

func decode(b []byte) record {
	var r record
	if len(b) > 0 {
		_ = json.Unmarshal(b, &r) // a damaged record starts afresh
	}
	return r
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// Refusal reasons.
const (
	ReasonLocked    = "locked"    // the consecutive-failure lock is in force
	ReasonDailyCap  = "daily_cap" // the 24-hour tally is full
	ReasonThrottled = "throttled" // a progressive wait, or the slots are in flight
	ReasonSpent     = "spent"     // a pending sign-in used its budget: sign in again
	ReasonUnknown   = "unknown"   // no pending sign-in is known for the cookie
	ReasonSendRate  = "send_rate" // send-otp over its rate
)

// decision is what begin decided.
type decision struct {
	admit  bool
	reason string
	retry  time.Duration
	// lockedUntil is the end of a lock in force (zero otherwise).
	lockedUntil time.Time
}

// normalize ages the record at now: failures older than the window leave
// the tally, an expired reservation becomes a failure in the tally (so
// that no slow or lost answer can let the cap be exceeded), and a quiet
// spell forgets consecutive failures once no lock is in force.
func (r *record) normalize(p *policy, now int64) {
	keep := r.Q[:0]
	for _, q := range r.Q {
		if q.X > now {
			keep = append(keep, q)
		} else if p.dailyCap > 0 {
			r.D = append(r.D, q.X)
		}
	}
	r.Q = keep
	cut := now - Window.Milliseconds()
	d := r.D[:0]
	for _, t := range r.D {
		if t > cut {
			d = append(d, t)
		}
	}
	r.D = d
	if r.N > 0 && r.LU <= now && now-r.LF >= p.resetAfter.Milliseconds() && len(p.locks) > 0 {
		r.N, r.L = 0, 0
	}
	if r.LU <= now {
		r.LU = 0
	}
}

// begin decides on one attempt and, when it admits, reserves a slot.
func (r *record) begin(p *policy, now int64, id string) decision {
	r.normalize(p, now)
	if r.LU > now {
		return decision{reason: ReasonLocked, retry: msDur(r.LU - now), lockedUntil: time.UnixMilli(r.LU)}
	}
	if p.dailyCap > 0 && len(r.D)+len(r.Q) >= p.dailyCap {
		// The earliest a slot frees: the oldest failure ageing out, or
		// an in-flight attempt ending.
		next := now + Window.Milliseconds()
		if len(r.D) > 0 {
			next = minInt64(r.D) + Window.Milliseconds()
		}
		for _, q := range r.Q {
			next = min(next, q.X)
		}
		return decision{reason: ReasonDailyCap, retry: msDur(next - now)}
	}
	slots := p.max - r.N
	if r.N >= p.max {
		if len(p.locks) == 0 {
			return decision{reason: ReasonSpent}
		}
		slots = 1 // after a lock: one attempt at a time
	}
	if len(r.Q) >= slots {
		next := r.Q[0].X
		for _, q := range r.Q {
			next = min(next, q.X)
		}
		return decision{reason: ReasonThrottled, retry: msDur(next - now)}
	}
	if r.N > 0 && r.N <= len(p.delays) {
		if until := r.LF + p.delays[r.N-1].Milliseconds(); until > now {
			return decision{reason: ReasonThrottled, retry: msDur(until - now)}
		}
	}
	r.Q = append(r.Q, resv{ID: id, X: now + p.resv.Milliseconds()})
	return decision{admit: true}
}

// release drops a reservation without a verdict.
func (r *record) release(p *policy, now int64, id string) {
	r.normalize(p, now)
	r.Q, _ = dropResv(r.Q, id)
}

// settled is what a settle did.
type settled struct {
	failures    int
	locked      bool
	lockedUntil time.Time
	cleared     bool // a success cleared a failure count or a lock
}

// Outcome is what the app's answer said about a code.
type Outcome int

// Outcomes.
const (
	NotCounted Outcome = iota // the answer says nothing about the code
	Failure                   // a wrong code
	Success                   // a right code: the session was issued
)

// settle records the verdict on an admitted attempt. A failure whose
// reservation expired meanwhile was counted in the tally already
// (normalize); it still counts as a consecutive failure.
func (r *record) settle(p *policy, now int64, id string, out Outcome) settled {
	r.normalize(p, now)
	var had bool
	r.Q, had = dropResv(r.Q, id)
	var s settled
	switch out {
	case Failure:
		r.N++
		r.LF = now
		if had && p.dailyCap > 0 {
			r.D = append(r.D, now)
		}
		if r.N >= p.max && len(p.locks) > 0 {
			d := p.locks[min(r.L, len(p.locks)-1)]
			r.LU = now + d.Milliseconds()
			r.L++
			s.locked, s.lockedUntil = true, time.UnixMilli(r.LU)
		}
	case Success:
		// The lock and the consecutive count go; the 24-hour tally stays,
		// so that a user signing in often cannot hand an attacker fresh
		// guesses (the cap is per day, whoever signs in).
		s.cleared = r.N > 0 || r.LU > now
		r.N, r.L, r.LU, r.LF = 0, 0, 0, 0
	}
	s.failures = r.N
	return s
}

// save returns the record's bytes and TTL: nil when nothing is left to
// remember.
func (r *record) save(p *policy, now int64) ([]byte, time.Duration) {
	end := r.E
	if r.E == 0 {
		if r.N == 0 && r.LU == 0 && len(r.D) == 0 && len(r.Q) == 0 {
			return nil, 0
		}
		end = max(r.LU, r.LF+p.resetAfter.Milliseconds())
		for _, t := range r.D {
			end = max(end, t+Window.Milliseconds())
		}
		for _, q := range r.Q {
			end = max(end, q.X)
		}
	}
	if end <= now {
		return nil, 0
	}
	b, _ := json.Marshal(r)
	return b, msDur(end - now)
}

func dropResv(q []resv, id string) ([]resv, bool) {
	for i, v := range q {
		if v.ID == id {
			return append(q[:i:i], q[i+1:]...), true
		}
	}
	return q, false
}

func minInt64(v []int64) int64 {
	m := v[0]
	for _, x := range v[1:] {
		m = min(m, x)
	}
	return m
}

// msDur is a positive wait of at least one second.
func msDur(d int64) time.Duration {
	return max(time.Duration(d)*time.Millisecond, time.Second)
}
