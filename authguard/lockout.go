package authguard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Lockout is the account-lockout engine (SEC-07) behind the auth guard:
// OWASP device cookies over a per-account untrusted budget, recovery
// cookies from password resets, per-IP spray control and atomic
// reservations, over a LockStore. It implements LockoutEngine.
type Lockout struct {
	o    LockoutOptions
	keys lockKeyer
}

var _ LockoutEngine = (*Lockout)(nil)

// NewLockout validates the options and returns the engine.
func NewLockout(o LockoutOptions) (*Lockout, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Lockout{o: o, keys: newLockKeyer(o.Secret)}, nil
}

// Options returns the options in force, defaults filled (Secret
// included: do not log it).
func (l *Lockout) Options() LockoutOptions { return l.o }

// Record keys. The braces are the Redis Cluster hash tag: an account and
// its devices share a slot.
func acctRecKey(hex string) string        { return "{a:" + hex + "}" }
func sessRecKey(hex string) string        { return "{s:" + hex + "}" }
func devRecKey(acct, nonce string) string { return "{a:" + acct + "}:d:" + nonce }
func ipRecKey(hex string) string          { return "{ip:" + hex + "}" }
func recoveryRecKey(nonce string) string  { return "{r:" + nonce + "}" }
func sprayAccount(acctHex string) string  { return acctHex[:16] }
func newReservationID() (string, error)   { return randomHex(8) }
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("lockout: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// ticket kinds.
const (
	kindUntrusted = iota
	kindTrusted
	kindRecovery
	kindSession
)

// lockTicket is the reservation an Admission carries to Settle.
type lockTicket struct {
	kind    int
	id      string
	acctHex string // account (or session) key
	acct    string // its record key
	device  string // device record key (trusted)
	ip      string // IP record key, when a spray slot is held
	nonce   string // recovery record key (recovery)
	// ipSettled is set once Settle updated the IP with the account.
	ipSettled bool
	settled   atomic.Bool
}

// Begin implements LockoutEngine. A store error refuses the attempt and
// is returned: the guard answers 503 (fail closed).
func (l *Lockout) Begin(ctx context.Context, a SignInAttempt) (Admission, error) {
	id, err := newReservationID()
	if err != nil {
		return Admission{}, err
	}
	t := &lockTicket{id: id}
	if a.Session != "" {
		t.kind = kindSession
		t.acctHex = l.keys.sessionKey(a.Session)
		t.acct = sessRecKey(t.acctHex)
		return l.beginAccount(ctx, a, t, "", time.Time{})
	}
	t.acctHex = l.keys.accountKey(a.Email)
	t.acct = acctRecKey(t.acctHex)
	now := l.o.Clock()
	if a.DeviceCookie != "" {
		if dev, ok := findDevice(l.keys.device, t.acctHex, a.DeviceCookie, now, l.o.DeviceMaxAge); ok {
			adm, revoked, err := l.beginDevice(ctx, a, t, devRecKey(t.acctHex, dev))
			if err != nil || !revoked {
				return adm, err
			}
		}
	}
	// Untrusted: the IP's spray budget first.
	t.kind = kindUntrusted
	t.ip = ipRecKey(l.keys.ipKey(a.IP))
	var nonce string
	var nonceExp time.Time
	if a.RecoveryCookie != "" {
		if n, exp, ok := parseRecoveryCookie(l.keys.recovery, a.RecoveryCookie, now); ok {
			nonce, nonceExp = n, exp
		}
	}
	if m, ok := l.o.Store.(MultiLockStore); ok {
		if adm, done, err := l.beginTogether(ctx, m, a, t, nonce, nonceExp); done {
			return adm, err
		}
	}
	var sd sprayDecision
	err = l.o.Store.Update(ctx, t.ip, func(now time.Time, cur []byte) ([]byte, time.Duration) {
		r := decode[ipRec](cur)
		sd = r.begin(&l.o, ms(now), id, sprayAccount(t.acctHex))
		return r.save(&l.o, ms(now))
	})
	if err != nil {
		return Admission{}, fmt.Errorf("lockout: spray control: %w", err)
	}
	if !sd.admit {
		adm := Admission{Reason: ReasonSpray, RetryAfter: sd.retryAfter}
		adm.Limit = l.limit(kindUntrusted, adm)
		l.emitRefused(a, t, adm)
		return adm, nil
	}
	adm, err := l.beginAccount(ctx, a, t, nonce, nonceExp)
	if err != nil || !adm.Admit {
		l.releaseIP(ctx, t)
	}
	return adm, err
}

// beginTogether is the untrusted Begin in one atomic update of the IP and
// account records (one round trip on Redis): the spray decision, then,
// when it admits, the account's. A refused attempt leaves no reservation
// on the IP, as releaseIP would. done is false when the store cannot
// update both together; nothing was done then.
func (l *Lockout) beginTogether(ctx context.Context, m MultiLockStore, a SignInAttempt, t *lockTicket, nonce string, nonceExp time.Time) (adm Admission, done bool, err error) {
	var sd sprayDecision
	var d acctDecision
	ok, err := m.UpdateMulti(ctx, []string{t.ip, t.acct}, func(now time.Time, cur [][]byte) ([][]byte, []time.Duration) {
		next, ttl := []([]byte){nil, cur[1]}, []time.Duration{0, 0}
		ip := decode[ipRec](cur[0])
		sd = ip.begin(&l.o, ms(now), t.id, sprayAccount(t.acctHex))
		d = acctDecision{}
		if sd.admit {
			r := decode[acctRec](cur[1])
			d = r.begin(&l.o, ms(now), t.id, nonce != "")
			next[1], ttl[1] = r.save(&l.o, ms(now))
			if !d.admit && !d.recovery {
				ip.Q, _ = dropResv(ip.Q, t.id)
			}
		}
		next[0], ttl[0] = ip.save(&l.o, ms(now))
		return next, ttl
	})
	if !ok {
		return Admission{}, false, nil
	}
	if err != nil {
		return Admission{}, true, fmt.Errorf("lockout: spray control and account state: %w", err)
	}
	if !sd.admit {
		adm := Admission{Reason: ReasonSpray, RetryAfter: sd.retryAfter}
		adm.Limit = l.limit(kindUntrusted, adm)
		l.emitRefused(a, t, adm)
		return adm, true, nil
	}
	adm, err = l.afterAccountBegin(ctx, a, t, d, nonce, nonceExp)
	if d.recovery && (err != nil || !adm.Admit) {
		l.releaseIP(ctx, t)
	}
	return adm, true, err
}

// beginDevice runs the trusted path; revoked reports a cookie that hit
// the hard limit and counts as untrusted.
func (l *Lockout) beginDevice(ctx context.Context, a SignInAttempt, t *lockTicket, key string) (Admission, bool, error) {
	var d devDecision
	err := l.o.Store.Update(ctx, key, func(now time.Time, cur []byte) ([]byte, time.Duration) {
		r := decode[devRec](cur)
		d = r.begin(&l.o, ms(now), t.id)
		return r.save(&l.o, ms(now))
	})
	if err != nil {
		return Admission{Trusted: true}, false, fmt.Errorf("lockout: device state: %w", err)
	}
	if d.revoked {
		return Admission{}, true, nil
	}
	if !d.admit {
		adm := Admission{Reason: d.reason, RetryAfter: d.retryAfter, Trusted: true}
		adm.Limit = l.limit(kindTrusted, adm)
		l.emitRefused(a, t, adm)
		return adm, false, nil
	}
	t.kind, t.device = kindTrusted, key
	return Admission{Admit: true, Trusted: true, ticket: t}, false, nil
}

// beginAccount runs the account step, and the recovery cookie when the
// account refuses.
func (l *Lockout) beginAccount(ctx context.Context, a SignInAttempt, t *lockTicket, nonce string, nonceExp time.Time) (Admission, error) {
	var d acctDecision
	err := l.o.Store.Update(ctx, t.acct, func(now time.Time, cur []byte) ([]byte, time.Duration) {
		r := decode[acctRec](cur)
		d = r.begin(&l.o, ms(now), t.id, nonce != "")
		return r.save(&l.o, ms(now))
	})
	if err != nil {
		return Admission{}, fmt.Errorf("lockout: account state: %w", err)
	}
	return l.afterAccountBegin(ctx, a, t, d, nonce, nonceExp)
}

// afterAccountBegin acts on the account's Begin decision: the admission,
// or the recovery cookie when the account refuses, or the refusal.
func (l *Lockout) afterAccountBegin(ctx context.Context, a SignInAttempt, t *lockTicket, d acctDecision, nonce string, nonceExp time.Time) (Admission, error) {
	if d.expired {
		l.emitUnlocked(a, t, "expiry")
	}
	if d.admit {
		return Admission{Admit: true, ticket: t}, nil
	}
	if d.recovery {
		fresh := false
		key := recoveryRecKey(nonce)
		err := l.o.Store.Update(ctx, key, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			fresh = cur == nil
			if !fresh {
				return cur, 0
			}
			return []byte("1"), max(nonceExp.Sub(now)+cookieSkew, time.Minute)
		})
		if err == nil && fresh {
			t.kind, t.nonce = kindRecovery, key
			return Admission{Admit: true, Recovery: true, ticket: t}, nil
		}
		// A used cookie (or a store error): give the recovery slot back.
		rerr := l.o.Store.Update(ctx, t.acct, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			r := decode[acctRec](cur)
			r.normalize(&l.o, ms(now))
			r.Q, _ = dropResv(r.Q, t.id)
			return r.save(&l.o, ms(now))
		})
		if err = errors.Join(err, rerr); err != nil {
			return Admission{}, fmt.Errorf("lockout: recovery cookie: %w", err)
		}
	}
	adm := Admission{Reason: d.reason, RetryAfter: d.retryAfter}
	adm.Limit = l.limit(t.kind, adm)
	l.emitRefused(a, t, adm)
	return adm, nil
}

// releaseIP gives back a spray slot (best effort: it expires anyway).
func (l *Lockout) releaseIP(ctx context.Context, t *lockTicket) {
	if t.ip == "" {
		return
	}
	_ = l.o.Store.Update(ctx, t.ip, func(now time.Time, cur []byte) ([]byte, time.Duration) {
		if cur == nil {
			return nil, 0
		}
		r := decode[ipRec](cur)
		r.normalize(&l.o, ms(now))
		r.Q, _ = dropResv(r.Q, t.id)
		return r.save(&l.o, ms(now))
	})
}

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

// Unlock implements LockoutEngine: it clears the account's untrusted
// state, lock and hard lock included, and the failures and locks of each
// of its trusted devices. It reports whether there was anything to clear.
func (l *Lockout) Unlock(ctx context.Context, email string) (bool, error) {
	return l.unlock(ctx, l.keys.accountKey(email), email)
}

// UnlockKey is Unlock by the key List shows.
func (l *Lockout) UnlockKey(ctx context.Context, key string) (bool, error) {
	return l.unlock(ctx, key, "")
}

func (l *Lockout) unlock(ctx context.Context, key, email string) (bool, error) {
	if len(key) != 32 || strings.Trim(key, "0123456789abcdef") != "" {
		return false, fmt.Errorf("lockout: unlock: %q is not an account key", key)
	}
	var had bool
	err := l.o.Store.Update(ctx, acctRecKey(key), func(now time.Time, cur []byte) ([]byte, time.Duration) {
		r := decode[acctRec](cur)
		r.normalize(&l.o, ms(now))
		had = r.N > 0 || r.Hard || r.RF > 0
		r = acctRec{Q: r.Q}
		return r.save(&l.o, ms(now))
	})
	if err != nil {
		return false, fmt.Errorf("lockout: unlock: %w", err)
	}
	devHad, err := l.unlockDevices(ctx, key)
	had = had || devHad
	if had {
		l.emitUnlocked(SignInAttempt{Email: email}, &lockTicket{acctHex: key}, "admin")
	}
	if err != nil {
		return had, fmt.Errorf("lockout: unlock: %w", err)
	}
	return had, nil
}

// unlockDevices clears the failure counts and locks of the account's
// device records, keeping their in-flight reservations. It reports
// whether any device had failures or a lock.
func (l *Lockout) unlockDevices(ctx context.Context, acct string) (bool, error) {
	prefix := devRecKey(acct, "")
	var keys []string
	if err := l.o.Store.Scan(ctx, prefix, func(key string, _ []byte) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		return false, fmt.Errorf("listing device records: %w", err)
	}
	var had bool
	for _, key := range keys {
		err := l.o.Store.Update(ctx, key, func(now time.Time, cur []byte) ([]byte, time.Duration) {
			r := decode[devRec](cur)
			r.normalize(&l.o, ms(now))
			if r.F > 0 || r.C > 0 || r.LU > ms(now) {
				had = true
			}
			r = devRec{Q: r.Q}
			return r.save(&l.o, ms(now))
		})
		if err != nil {
			return had, fmt.Errorf("device record: %w", err)
		}
	}
	return had, nil
}

// List implements LockoutEngine: accounts with failures or a lock, by
// key, the most recent failure first.
func (l *Lockout) List(ctx context.Context) ([]LockoutEntry, error) {
	var out []LockoutEntry
	now := ms(l.o.Clock())
	err := l.o.Store.Scan(ctx, "{a:", func(key string, val []byte) error {
		if len(key) != len("{a:}")+32 || !strings.HasSuffix(key, "}") {
			return nil // a device record
		}
		r := decode[acctRec](val)
		if r.N == 0 && !r.Hard {
			return nil
		}
		e := LockoutEntry{Key: key[3 : len(key)-1], Failures: r.N, HardLocked: r.Hard}
		if r.LU > now {
			e.LockedUntil = time.UnixMilli(r.LU)
		}
		if r.LF != 0 {
			e.LastFailure = time.UnixMilli(r.LF)
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lockout: list: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastFailure.After(out[j].LastFailure) })
	return out, nil
}
