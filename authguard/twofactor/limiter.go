package twofactor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
)

// Kind is what a verify request checks.
type Kind int

// Kinds of verification.
const (
	// KindCode is a 6-digit code: TOTP (verify-totp) or a sent OTP
	// (verify-otp). Both spend the account's code budget.
	KindCode Kind = iota
	// KindBackup is a backup code (verify-backup-code): its own budget.
	KindBackup
)

// String names the kind for events and logs.
func (k Kind) String() string {
	if k == KindBackup {
		return "backup_code"
	}
	return "code"
}

// Subject is who a two-factor request is for, as the request shows it.
type Subject struct {
	// Pending is better-auth's two-factor cookie value as the app reads
	// it (percent-decoded): the pending sign-in. The guard learnt its
	// account when the sign-in answered twoFactorRedirect.
	Pending string
	// Session is the session cookie value (percent-decoded), used when
	// there is no two-factor cookie: better-auth then verifies against
	// the signed-in user (enabling two-factor).
	Session string
	// IP is Caddy's trusted client IP (send-otp's per-IP rate).
	IP netip.Addr
}

// Admission is the Limiter's answer before forwarding. When Admit is true
// slots are reserved and Settle must be called once.
type Admission struct {
	Admit bool
	// Reason when refused: ReasonLocked, ReasonDailyCap, ReasonThrottled,
	// ReasonSpent, ReasonUnknown, ReasonSendRate.
	Reason     string
	RetryAfter time.Duration
	// LockedUntil is the end of the lock in force, when Reason is locked.
	LockedUntil time.Time
	// Account is the account key of the pending sign-in ("" when keyed
	// by a session), for events.
	Account string
	// Kind is the budget asked for.
	Kind Kind

	ticket *ticket
}

// ticket holds an admission's reservations.
type ticket struct {
	id      string
	kind    Kind
	budget  string // the account's (or session's) budget record
	pending string // the pending record (codes only)
	done    atomic.Bool
}

// Settlement is what a settle did.
type Settlement struct {
	// Failures is the budget's consecutive count afterwards.
	Failures int
	// Locked is set when this failure started a lock, ending LockedUntil.
	Locked      bool
	LockedUntil time.Time
	// Cleared is set when a success cleared failures or a lock.
	Cleared bool
}

// Limiter is the two-factor brute-force guard. It is safe for concurrent
// use; every record update is atomic in its store.
type Limiter struct {
	o                     Options
	keys                  keyer
	code, backup, pending policy
}

// New validates the options and returns the Limiter.
func New(o Options) (*Limiter, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Limiter{o: o, keys: newKeyer(o.Secret), code: o.codePolicy(), backup: o.backupPolicy(), pending: o.pendingPolicy()}, nil
}

// Options returns the options in force, defaults filled (Secret included:
// do not log it).
func (l *Limiter) Options() Options { return l.o }

// ErrNotAdmitted is Settle's answer for an admission that was not
// admitted or was settled already.
var ErrNotAdmitted = errors.New("two-factor guard: settle of an attempt that is not admitted or was settled already")

// RecordPending remembers that the two-factor cookie value pending (as
// the app will read it) belongs to the account key acct, for ttl (the
// cookie's Max-Age; 0: PendingTTL; capped at MaxPendingTTL).
func (l *Limiter) RecordPending(ctx context.Context, pending, acct string, ttl time.Duration) error {
	if pending == "" {
		return errors.New("two-factor guard: empty two-factor cookie")
	}
	if err := validAccount(acct); err != nil {
		return err
	}
	if ttl <= 0 {
		ttl = l.o.PendingTTL
	}
	ttl = min(ttl, MaxPendingTTL)
	key := pendingKey(mac(l.keys.pending, []byte(pending)))
	err := l.o.Store.Update(ctx, key, func(now time.Time, cur []byte) ([]byte, time.Duration) {
		r := decode(cur)
		if r.A != acct {
			r = record{A: acct}
		}
		r.E = ms(now.Add(ttl))
		return r.save(&l.pending, ms(now))
	})
	if err != nil {
		return fmt.Errorf("two-factor guard: recording the pending sign-in: %w", err)
	}
	return nil
}

// Begin decides whether a verify request may be forwarded. The pending
// sign-in (when the subject has one) must be known and within its
// budget, and the account's (or session's) budget of the kind must admit
// the attempt. A store error is returned; the caller fails closed.
func (l *Limiter) Begin(ctx context.Context, s Subject, k Kind) (Admission, error) {
	id, err := newID()
	if err != nil {
		return Admission{}, err
	}
	t := &ticket{id: id, kind: k}
	adm := Admission{Kind: k}
	pol := l.policy(k)
	switch {
	case s.Pending != "":
		pk := pendingKey(mac(l.keys.pending, []byte(s.Pending)))
		var d decision
		var acct string
		err := l.o.Store.Update(ctx, pk, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			d, acct = decision{}, ""
			if cur == nil {
				d.reason = ReasonUnknown
				return nil, 0
			}
			r := decode(cur)
			acct = r.A
			if acct == "" || r.E <= ms(now) {
				d.reason = ReasonUnknown
				return cur, 0
			}
			if k == KindBackup {
				// Backup codes do not spend the pending budget: a user out
				// of codes recovers with one.
				d.admit = true
				return cur, 0
			}
			d = r.begin(&l.pending, ms(now), id)
			return r.save(&l.pending, ms(now))
		})
		if err != nil {
			return Admission{}, fmt.Errorf("two-factor guard: pending sign-in: %w", err)
		}
		adm.Account = acct
		if !d.admit {
			adm.Reason, adm.RetryAfter = d.reason, d.retry
			return adm, nil
		}
		if k == KindCode {
			t.pending = pk
		}
		t.budget = acctCodeKey(acct)
		if k == KindBackup {
			t.budget = acctBackupKey(acct)
		}
	case s.Session != "":
		h := mac(l.keys.session, []byte(s.Session))
		t.budget = sessCodeKey(h)
		if k == KindBackup {
			t.budget = sessBackupKey(h)
		}
	default:
		adm.Reason = ReasonUnknown
		return adm, nil
	}
	var d decision
	err = l.o.Store.Update(ctx, t.budget, func(now time.Time, cur []byte) ([]byte, time.Duration) {
		r := decode(cur)
		d = r.begin(&pol, ms(now), id)
		return r.save(&pol, ms(now))
	})
	if err != nil || !d.admit {
		l.releasePending(ctx, t)
	}
	if err != nil {
		return Admission{}, fmt.Errorf("two-factor guard: %s budget: %w", k, err)
	}
	if !d.admit {
		adm.Reason, adm.RetryAfter, adm.LockedUntil = d.reason, d.retry, d.lockedUntil
		return adm, nil
	}
	adm.Admit, adm.ticket = true, t
	return adm, nil
}

func (l *Limiter) policy(k Kind) policy {
	if k == KindBackup {
		return l.backup
	}
	return l.code
}

// releasePending gives a pending slot back (best effort: it expires).
func (l *Limiter) releasePending(ctx context.Context, t *ticket) {
	if t.pending == "" {
		return
	}
	_ = l.o.Store.Update(ctx, t.pending, func(now time.Time, cur []byte) ([]byte, time.Duration) {
		if cur == nil {
			return nil, 0
		}
		r := decode(cur)
		r.release(&l.pending, ms(now), t.id)
		return r.save(&l.pending, ms(now))
	})
}

// Settle records the app's verdict on an admitted attempt: a wrong code
// counts on the pending sign-in and the account (or session); a right
// one clears the account's locks and consecutive counts (both budgets:
// the user proved a second factor) and ends the pending sign-in.
func (l *Limiter) Settle(ctx context.Context, adm Admission, out Outcome) (Settlement, error) {
	t := adm.ticket
	if !adm.Admit || t == nil || !t.done.CompareAndSwap(false, true) {
		return Settlement{}, ErrNotAdmitted
	}
	var st Settlement
	var errs []error
	pol := l.policy(t.kind)
	err := l.o.Store.Update(ctx, t.budget, func(now time.Time, cur []byte) ([]byte, time.Duration) {
		r := decode(cur)
		s := r.settle(&pol, ms(now), t.id, out)
		st = Settlement{Failures: s.failures, Locked: s.locked, LockedUntil: s.lockedUntil, Cleared: s.cleared}
		return r.save(&pol, ms(now))
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("%s budget: %w", t.kind, err))
	}
	if out == Success {
		// The other budget of the same subject: a right code of either
		// kind clears both.
		other, opol := otherBudget(t.budget), l.policy(1-t.kind)
		if err := l.o.Store.Update(ctx, other, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			if cur == nil {
				return nil, 0
			}
			r := decode(cur)
			if r.settle(&opol, ms(now), "", Success).cleared {
				st.Cleared = true
			}
			return r.save(&opol, ms(now))
		}); err != nil {
			errs = append(errs, fmt.Errorf("%s budget: %w", 1-t.kind, err))
		}
	}
	if t.pending != "" {
		err := l.o.Store.Update(ctx, t.pending, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			if cur == nil || out == Success {
				return nil, 0 // better-auth ended the pending sign-in
			}
			r := decode(cur)
			r.settle(&l.pending, ms(now), t.id, out)
			return r.save(&l.pending, ms(now))
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("pending sign-in: %w", err))
		}
	}
	if len(errs) > 0 {
		return st, fmt.Errorf("two-factor guard: %w", errors.Join(errs...))
	}
	return st, nil
}

// otherBudget is the code budget's backup twin and the reverse.
func otherBudget(key string) string {
	n := len(key)
	if key[n-1] == 'c' {
		return key[:n-1] + "b"
	}
	return key[:n-1] + "c"
}

// AllowSend decides on a send-otp request: the pending sign-in must be
// known (or a session present), and the account's (or session's) rate
// and the IP's must admit it. An admitted request is counted at once,
// whatever the app answers.
func (l *Limiter) AllowSend(ctx context.Context, s Subject) (Admission, error) {
	adm := Admission{Kind: KindCode}
	var key string
	switch {
	case s.Pending != "":
		pk := pendingKey(mac(l.keys.pending, []byte(s.Pending)))
		var acct string
		err := l.o.Store.Update(ctx, pk, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			r := decode(cur)
			if cur != nil && r.E > ms(now) {
				acct = r.A
			}
			return cur, 0
		})
		if err != nil {
			return Admission{}, fmt.Errorf("two-factor guard: pending sign-in: %w", err)
		}
		if acct == "" {
			adm.Reason = ReasonUnknown
			return adm, nil
		}
		adm.Account, key = acct, acctSendKey(acct)
	case s.Session != "":
		key = sessSendKey(mac(l.keys.session, []byte(s.Session)))
	default:
		adm.Reason = ReasonUnknown
		return adm, nil
	}
	for _, lim := range []struct {
		key string
		n   int
	}{{ipSendKey(mac(l.keys.ip, lockout.IPGroup(s.IP))), l.o.SendOTPPerIP}, {key, l.o.SendOTP}} {
		var ok bool
		var retry time.Duration
		err := l.o.Store.Update(ctx, lim.key, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			ok, retry = false, 0
			r := decode(cur)
			cut := ms(now) - l.o.SendOTPWindow.Milliseconds()
			d := r.D[:0]
			for _, t := range r.D {
				if t > cut {
					d = append(d, t)
				}
			}
			r.D = d
			if len(r.D) >= lim.n {
				retry = msDur(minInt64(r.D) - cut)
			} else {
				ok = true
				r.D = append(r.D, ms(now))
			}
			b := encodeRate(r)
			return b, l.o.SendOTPWindow
		})
		if err != nil {
			return Admission{}, fmt.Errorf("two-factor guard: send-otp rate: %w", err)
		}
		if !ok {
			adm.Reason, adm.RetryAfter = ReasonSendRate, retry
			return adm, nil
		}
	}
	adm.Admit = true
	return adm, nil
}

// Unlock clears an account's code and backup budgets (locks, counts and
// the 24-hour tally), for an admin; it reports whether there was anything
// to clear. In-flight reservations are kept.
func (l *Limiter) Unlock(ctx context.Context, acct string) (bool, error) {
	if err := validAccount(acct); err != nil {
		return false, err
	}
	var had bool
	for _, key := range []string{acctCodeKey(acct), acctBackupKey(acct)} {
		err := l.o.Store.Update(ctx, key, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			if cur == nil {
				return nil, 0
			}
			r := decode(cur)
			if r.N > 0 || r.LU > ms(now) || len(r.D) > 0 {
				had = true
			}
			r = record{Q: r.Q}
			p := l.code
			return r.save(&p, ms(now))
		})
		if err != nil {
			return had, fmt.Errorf("two-factor guard: unlock: %w", err)
		}
	}
	return had, nil
}

// encodeRate is a rate record's bytes (nil when empty).
func encodeRate(r record) []byte {
	if len(r.D) == 0 {
		return nil
	}
	b, _ := json.Marshal(record{D: r.D})
	return b
}

func newID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("two-factor guard: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
