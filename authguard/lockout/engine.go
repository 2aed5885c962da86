package lockout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
