package lockout

import (
	"encoding/json"
	"slices"
	"time"
)

// Records are small JSON objects; times are Unix milliseconds on the
// store's clock.

// resv is an in-flight reservation: an admitted attempt not yet settled.
type resv struct {
	ID  string `json:"i"`
	Exp int64  `json:"e"`
	// A is the account key prefix, on IP records (spray control).
	A string `json:"a,omitempty"`
}

// pruneResv drops expired reservations.
func pruneResv(q []resv, now int64) []resv {
	return slices.DeleteFunc(q, func(r resv) bool { return r.Exp <= now })
}

// dropResv removes reservation id and reports whether it was there.
func dropResv(q []resv, id string) ([]resv, bool) {
	i := slices.IndexFunc(q, func(r resv) bool { return r.ID == id })
	if i < 0 {
		return q, false
	}
	return slices.Delete(q, i, i+1), true
}

func lastResv(q []resv) int64 {
	var m int64
	for _, r := range q {
		m = max(m, r.Exp)
	}
	return m
}

// acctRec is an account's untrusted state (or a session's).
type acctRec struct {
	// N is the consecutive untrusted failures.
	N int `json:"n,omitempty"`
	// LF is the last failure.
	LF int64 `json:"lf,omitempty"`
	// LU is the end of the current or last lock.
	LU int64 `json:"lu,omitempty"`
	// Hard is set at the hard limit: locked until reset or admin.
	Hard bool `json:"h,omitempty"`
	// Rep is set once the end of lock LU was reported.
	Rep bool `json:"r,omitempty"`
	// RF counts failed recovery sign-ins since RFS.
	RF  int    `json:"rf,omitempty"`
	RFS int64  `json:"rfs,omitempty"`
	Q   []resv `json:"q,omitempty"`
}

// devRec is a trusted device's state.
type devRec struct {
	// F counts failures in the window starting at WS.
	F  int   `json:"f,omitempty"`
	WS int64 `json:"ws,omitempty"`
	// LU ends the device's lock.
	LU int64 `json:"lu,omitempty"`
	// C is the device's consecutive failures; at the hard limit the cookie
	// is no longer trusted.
	C  int    `json:"c,omitempty"`
	LF int64  `json:"lf,omitempty"`
	Q  []resv `json:"q,omitempty"`
}

// ipRec is an IP group's spray-control state.
type ipRec struct {
	// WS starts the window; A lists the accounts failed against in it.
	WS int64    `json:"ws,omitempty"`
	A  []string `json:"a,omitempty"`
	Q  []resv   `json:"q,omitempty"`
}

const day = 24 * time.Hour

func ms(t time.Time) int64 { return t.UnixMilli() }

func durMS(d time.Duration) int64 { return d.Milliseconds() }

// decode reads a record. Only this package writes records; one that does
// not parse (a foreign value under the prefix) counts as absent and is
// overwritten.
func decode[T any](b []byte) T {
	var v T
	if len(b) > 0 {
		_ = json.Unmarshal(b, &v)
	}
	return v
}

// encode writes a record, or nil for an empty one, with its TTL from now
// to exp (0: none).
func encode(v any, empty bool, now, exp int64) ([]byte, time.Duration) {
	if empty {
		return nil, 0
	}
	b, _ := json.Marshal(v)
	if exp == 0 {
		return b, 0
	}
	if exp <= now {
		exp = now + 1000
	}
	return b, time.Duration(exp-now) * time.Millisecond
}

// normalize forgets an idle account's failures.
func (r *acctRec) normalize(o *LockoutOptions, now int64) {
	r.Q = pruneResv(r.Q, now)
	if r.RF > 0 && now >= r.RFS+durMS(day) {
		r.RF, r.RFS = 0, 0
	}
	if !r.Hard && r.N > 0 && now >= r.LU && now >= r.LF+durMS(o.ResetAfter) {
		r.N, r.LF, r.LU, r.Rep = 0, 0, 0, false
	}
}

func (r *acctRec) save(o *LockoutOptions, now int64) ([]byte, time.Duration) {
	empty := r.N == 0 && !r.Hard && r.RF == 0 && len(r.Q) == 0
	if r.Hard {
		return encode(r, false, now, 0)
	}
	exp := max(r.LU, lastResv(r.Q))
	if r.N > 0 {
		exp = max(exp, r.LF+durMS(o.ResetAfter))
	}
	if r.RF > 0 {
		exp = max(exp, r.RFS+durMS(day))
	}
	return encode(r, empty, now, exp)
}

// lockFor is the lock after the n-th consecutive failure (n ≥ FreeFailures).
func (o *LockoutOptions) lockFor(n int) time.Duration {
	i := n - o.FreeFailures
	if i >= len(o.Locks) {
		i = len(o.Locks) - 1
	}
	return o.Locks[i]
}

// acctDecision is the outcome of the account step of Begin.
type acctDecision struct {
	admit      bool
	reason     string
	retryAfter time.Duration
	// expired: the end of a lock was seen for the first time.
	expired bool
	// recovery: refused, but a recovery slot is reserved for the
	// recovery cookie the attempt carries.
	recovery bool
	failures int
}

// recoveryMark tags an account reservation held by a recovery sign-in.
const recoveryMark = "r"

// inflight counts the reservations of one kind (normal or recovery).
func inflight(q []resv, recovery bool) int {
	n := 0
	for _, r := range q {
		if (r.A == recoveryMark) == recovery {
			n++
		}
	}
	return n
}

// begin decides an untrusted attempt and reserves its slot. When the
// account refuses and offerRecovery is set, it reserves a recovery slot
// instead if the account's failed recoveries (settled and in flight) leave
// room: the caller then consumes the recovery cookie, or releases the slot.
func (r *acctRec) begin(o *LockoutOptions, now int64, id string, offerRecovery bool) acctDecision {
	r.normalize(o, now)
	d := r.decide(o, now)
	d.failures = r.N
	if d.admit {
		r.Q = append(r.Q, resv{ID: id, Exp: now + durMS(o.ReservationTTL)})
		return d
	}
	if offerRecovery && r.RF+inflight(r.Q, true) < o.RecoveryFailures {
		r.Q = append(r.Q, resv{ID: id, Exp: now + durMS(o.ReservationTTL), A: recoveryMark})
		d.recovery = true
	}
	return d
}

// decide is begin's verdict for a normal attempt.
func (r *acctRec) decide(o *LockoutOptions, now int64) acctDecision {
	var d acctDecision
	if r.Hard {
		d.reason, d.retryAfter = ReasonHardLocked, o.Locks[len(o.Locks)-1]
		return d
	}
	if now < r.LU {
		d.reason, d.retryAfter = ReasonLocked, time.Duration(r.LU-now)*time.Millisecond
		return d
	}
	if r.LU != 0 && !r.Rep {
		d.expired, r.Rep = true, true
	}
	// Before the first lock the free budget; after a lock one attempt at a
	// time, whose failure starts the next lock.
	allowance := max(o.FreeFailures-r.N, 1)
	if inflight(r.Q, false) >= allowance {
		d.reason, d.retryAfter = ReasonThrottled, time.Second
		return d
	}
	d.admit = true
	return d
}

// acctSettled reports what a settle did to an account.
type acctSettled struct {
	locked    bool
	hard      bool
	lockUntil int64
	failures  int
	// cleared: a success wiped failures or a lock; wasLocked: a lock (or
	// hard lock) was in force or being served.
	cleared, wasLocked bool
}

// settle records an outcome of an untrusted or recovery attempt.
func (r *acctRec) settle(o *LockoutOptions, now int64, id string, out AttemptOutcome, recovery bool) acctSettled {
	r.normalize(o, now)
	r.Q, _ = dropResv(r.Q, id)
	var s acctSettled
	switch out {
	case OutcomeFailure:
		r.N++
		r.LF = now
		if recovery {
			if r.RF == 0 {
				r.RFS = now
			}
			r.RF++
		}
		if r.N >= o.HardLimit {
			if !r.Hard {
				s.locked, s.hard = true, true
			}
			r.Hard, r.LU, r.Rep = true, 0, false
		} else if r.N >= o.FreeFailures {
			until := now + durMS(o.lockFor(r.N))
			if until > r.LU {
				r.LU, r.Rep = until, false
			}
			s.locked, s.lockUntil = true, r.LU
		}
	case OutcomeSuccess:
		s.wasLocked = r.Hard || now < r.LU
		if r.N > 0 || r.Hard || (recovery && r.RF > 0) {
			s.cleared = true
		}
		rf, rfs := r.RF, r.RFS
		*r = acctRec{Q: r.Q}
		if !recovery {
			// A recovery success also forgets its failed recoveries.
			r.RF, r.RFS = rf, rfs
		}
	}
	s.failures = r.N
	return s
}

// devDecision is the outcome of the device step of Begin.
type devDecision struct {
	admit      bool
	revoked    bool
	reason     string
	retryAfter time.Duration
}

func (r *devRec) normalize(o *LockoutOptions, now int64) {
	r.Q = pruneResv(r.Q, now)
	if r.LU != 0 && now >= r.LU {
		r.LU, r.F, r.WS = 0, 0, 0
	}
	if r.WS != 0 && now >= r.WS+durMS(o.DeviceWindow) {
		r.F, r.WS = 0, 0
	}
	if r.C > 0 && now >= r.LF+durMS(o.ResetAfter) {
		r.C, r.LF = 0, 0
	}
}

func (r *devRec) save(o *LockoutOptions, now int64) ([]byte, time.Duration) {
	empty := r.F == 0 && r.C == 0 && r.LU == 0 && len(r.Q) == 0
	exp := max(r.LU, lastResv(r.Q))
	if r.WS != 0 {
		exp = max(exp, r.WS+durMS(o.DeviceWindow))
	}
	if r.C > 0 {
		exp = max(exp, r.LF+durMS(o.ResetAfter))
	}
	return encode(r, empty, now, exp)
}

// begin decides a trusted attempt and reserves its slot.
func (r *devRec) begin(o *LockoutOptions, now int64, id string) devDecision {
	r.normalize(o, now)
	if r.C >= o.HardLimit {
		return devDecision{revoked: true}
	}
	if now < r.LU {
		return devDecision{reason: ReasonLocked, retryAfter: time.Duration(r.LU-now) * time.Millisecond}
	}
	if len(r.Q) >= o.DeviceFailures-r.F {
		return devDecision{reason: ReasonThrottled, retryAfter: time.Second}
	}
	r.Q = append(r.Q, resv{ID: id, Exp: now + durMS(o.ReservationTTL)})
	return devDecision{admit: true}
}

// settle records a trusted attempt's outcome; it reports a new device lock.
func (r *devRec) settle(o *LockoutOptions, now int64, id string, out AttemptOutcome) (locked bool, until int64, failures int) {
	r.normalize(o, now)
	r.Q, _ = dropResv(r.Q, id)
	switch out {
	case OutcomeFailure:
		if r.WS == 0 {
			r.WS = now
		}
		r.F++
		r.C++
		r.LF = now
		if r.F >= o.DeviceFailures {
			r.LU = now + durMS(o.DeviceWindow)
			locked, until = true, r.LU
		}
	case OutcomeSuccess:
		*r = devRec{Q: r.Q}
	}
	return locked, until, r.F
}

// sprayDecision is the outcome of the spray step of Begin.
type sprayDecision struct {
	admit      bool
	retryAfter time.Duration
	// blocked: the IP reached the limit (not only in-flight attempts).
	blocked bool
}

func (r *ipRec) normalize(o *LockoutOptions, now int64) {
	r.Q = pruneResv(r.Q, now)
	if r.WS != 0 && now >= r.WS+durMS(o.SprayWindow) {
		r.WS, r.A = 0, nil
	}
}

func (r *ipRec) save(o *LockoutOptions, now int64) ([]byte, time.Duration) {
	empty := r.WS == 0 && len(r.Q) == 0
	exp := lastResv(r.Q)
	if r.WS != 0 {
		exp = max(exp, r.WS+durMS(o.SprayWindow))
	}
	return encode(r, empty, now, exp)
}

// begin decides whether the IP may try account (a key prefix) and
// reserves its slot.
func (r *ipRec) begin(o *LockoutOptions, now int64, id, account string) sprayDecision {
	r.normalize(o, now)
	if len(r.A) >= o.SprayAccounts {
		return sprayDecision{blocked: true, retryAfter: time.Duration(r.WS+durMS(o.SprayWindow)-now) * time.Millisecond}
	}
	if !slices.Contains(r.A, account) {
		distinct := map[string]bool{}
		for _, q := range r.Q {
			if q.A != account && !slices.Contains(r.A, q.A) {
				distinct[q.A] = true
			}
		}
		if len(r.A)+len(distinct) >= o.SprayAccounts {
			return sprayDecision{retryAfter: time.Second}
		}
	}
	r.Q = append(r.Q, resv{ID: id, Exp: now + durMS(o.ReservationTTL), A: account})
	return sprayDecision{admit: true}
}

// settle releases the reservation and records a failure against account.
func (r *ipRec) settle(o *LockoutOptions, now int64, id, account string, out AttemptOutcome) {
	r.normalize(o, now)
	r.Q, _ = dropResv(r.Q, id)
	if out == OutcomeFailure {
		if r.WS == 0 {
			r.WS = now
		}
		if !slices.Contains(r.A, account) {
			r.A = append(r.A, account)
		}
	}
}
