package lockout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// errNotAdmitted is Settle's answer for an Admission Begin did not admit
// (or one settled already).
var errNotAdmitted = errors.New("lockout: settle of an attempt that is not admitted or was settled already")

// Settle implements LockoutEngine. On success the fresh device cookie is
// in the Settlement even when the store failed (the error is returned
// too, for the log).
func (l *Lockout) Settle(ctx context.Context, a SignInAttempt, adm Admission, out AttemptOutcome) (Settlement, error) {
	t, ok := adm.ticket.(*lockTicket)
	if !adm.Admit || !ok || t == nil || !t.settled.CompareAndSwap(false, true) {
		return Settlement{}, errNotAdmitted
	}
	var st Settlement
	var errs []error
	if out == OutcomeSuccess && t.kind != kindSession {
		c, err := reissueDeviceCookie(l.keys.device, t.acctHex, a.DeviceCookie, l.o.Clock(), l.o.DeviceMaxAge)
		if err != nil {
			errs = append(errs, fmt.Errorf("lockout: device cookie: %w", err))
		} else {
			st.Cookies = append(st.Cookies, c)
		}
	}
	if t.kind == kindRecovery && out != OutcomeNotCounted {
		st.Cookies = append(st.Cookies, expiredRecoveryCookie())
	}
	switch t.kind {
	case kindTrusted:
		var locked bool
		var until int64
		settle := func(now time.Time, cur []byte) ([]byte, time.Duration) {
			r := decode[devRec](cur)
			locked, until, st.Failures = r.settle(&l.o, ms(now), t.id, out)
			return r.save(&l.o, ms(now))
		}
		// On a success, the account record is read too (same slot: one
		// round trip when the store updates records together).
		var acct acctRec
		var acctNow time.Time
		acctRead := false
		var err error
		if m, ok := l.o.Store.(MultiLockStore); ok && out == OutcomeSuccess {
			acctRead, err = m.UpdateMulti(ctx, []string{t.device, t.acct}, func(now time.Time, cur [][]byte) ([][]byte, []time.Duration) {
				next, ttl := make([][]byte, 2), make([]time.Duration, 2)
				next[0], ttl[0] = settle(now, cur[0])
				acct, acctNow, next[1] = decode[acctRec](cur[1]), now, cur[1]
				return next, ttl
			})
		}
		if !acctRead {
			err = l.o.Store.Update(ctx, t.device, settle)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("lockout: device state: %w", err))
			break
		}
		if locked {
			st.Locked, st.LockedTill = true, time.UnixMilli(until)
			l.emitLocked(a, t, st, "device")
		}
		if out == OutcomeSuccess {
			// The user got in on a trusted device; report it when the
			// untrusted lock is in force (it stays: clearing it would hand
			// an attacker fresh guesses at every sign-in of the victim).
			if !acctRead {
				err = l.o.Store.Update(ctx, t.acct, func(n time.Time, cur []byte) ([]byte, time.Duration) {
					acct, acctNow = decode[acctRec](cur), n
					return cur, 0
				})
			}
			if err == nil && (acct.Hard || ms(acctNow) < acct.LU) {
				l.emitUnlocked(a, t, "device")
			}
		}
	default:
		var s acctSettled
		err := l.settleAccount(ctx, t, out, &s)
		if err != nil {
			errs = append(errs, fmt.Errorf("lockout: account state: %w", err))
			break
		}
		st.Failures, st.Cleared = s.failures, s.cleared
		if s.locked {
			st.Locked = true
			if !s.hard {
				st.LockedTill = time.UnixMilli(s.lockUntil)
			}
			reason := ReasonLocked
			if s.hard {
				reason = ReasonHardLocked
			}
			l.emitLocked(a, t, st, reason)
		}
		if t.kind == kindRecovery && out == OutcomeSuccess && s.wasLocked {
			l.emitUnlocked(a, t, "reset")
		}
	}
	if t.kind == kindRecovery && out == OutcomeNotCounted {
		// Nothing was learnt: the cookie may be used again.
		if err := l.o.Store.Update(ctx, t.nonce, func(time.Time, []byte) ([]byte, time.Duration) { return nil, 0 }); err != nil {
			errs = append(errs, fmt.Errorf("lockout: recovery cookie: %w", err))
		}
	}
	if t.ip != "" && !t.ipSettled {
		if err := l.o.Store.Update(ctx, t.ip, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			r := decode[ipRec](cur)
			r.settle(&l.o, ms(now), t.id, sprayAccount(t.acctHex), out)
			return r.save(&l.o, ms(now))
		}); err != nil {
			errs = append(errs, fmt.Errorf("lockout: spray control: %w", err))
		}
	}
	return st, errors.Join(errs...)
}

// settleAccount settles the account (or session) record and, in the same
// atomic update when the store can (one round trip on Redis), the IP's
// spray record; t.ipSettled reports that the IP was done.
func (l *Lockout) settleAccount(ctx context.Context, t *lockTicket, out AttemptOutcome, s *acctSettled) error {
	settle := func(now time.Time, cur []byte) ([]byte, time.Duration) {
		r := decode[acctRec](cur)
		*s = r.settle(&l.o, ms(now), t.id, out, t.kind == kindRecovery)
		return r.save(&l.o, ms(now))
	}
	if m, ok := l.o.Store.(MultiLockStore); ok && t.ip != "" {
		ok, err := m.UpdateMulti(ctx, []string{t.acct, t.ip}, func(now time.Time, cur [][]byte) ([][]byte, []time.Duration) {
			next, ttl := make([][]byte, 2), make([]time.Duration, 2)
			next[0], ttl[0] = settle(now, cur[0])
			ip := decode[ipRec](cur[1])
			ip.settle(&l.o, ms(now), t.id, sprayAccount(t.acctHex), out)
			next[1], ttl[1] = ip.save(&l.o, ms(now))
			return next, ttl
		})
		if ok {
			t.ipSettled = true
			if err != nil {
				return fmt.Errorf("%w (spray control too)", err)
			}
			return nil
		}
	}
	return l.o.Store.Update(ctx, t.acct, settle)
}

// GrantRecovery implements LockoutEngine.
func (l *Lockout) GrantRecovery(ctx context.Context) (*http.Cookie, error) {
	return newRecoveryCookie(l.keys.recovery, l.o.Clock(), l.o.RecoveryMaxAge)
}
