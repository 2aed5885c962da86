package lockout

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

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

// List implements LockoutEngine: accounts with failures or a lock, or
// with a trusted device that is locked or no longer trusted, by key, the
// most recent failure (untrusted or on a device) first. Each entry
// carries its account's device-cookie state.
func (l *Lockout) List(ctx context.Context) ([]LockoutEntry, error) {
	now := ms(l.o.Clock())
	// The scan meets an account's record and its device records in any
	// order: gather both by account key, then merge.
	accts := map[string]*LockoutEntry{}
	devs := map[string]*deviceTally{}
	err := l.o.Store.Scan(ctx, "{a:", func(key string, val []byte) error {
		acct, isDev, ok := splitAcctKey(key)
		if !ok {
			return nil
		}
		if isDev {
			d := devs[acct]
			if d == nil {
				d = &deviceTally{}
				devs[acct] = d
			}
			d.add(&l.o, now, decode[devRec](val))
			return nil
		}
		r := decode[acctRec](val)
		if r.N == 0 && !r.Hard {
			return nil
		}
		e := &LockoutEntry{Key: acct, Failures: r.N, HardLocked: r.Hard}
		if r.LU > now {
			e.LockedUntil = time.UnixMilli(r.LU)
		}
		if r.LF != 0 {
			e.LastFailure = time.UnixMilli(r.LF)
		}
		accts[acct] = e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lockout: list: %w", err)
	}
	// latest orders the list: the later of the account's and its
	// devices' last failures.
	latest := map[string]int64{}
	for acct, e := range accts {
		if !e.LastFailure.IsZero() {
			latest[acct] = ms(e.LastFailure)
		}
	}
	for acct, d := range devs {
		e := accts[acct]
		if e == nil {
			if d.locked == 0 && d.distrusted == 0 {
				continue
			}
			e = &LockoutEntry{Key: acct}
			accts[acct] = e
		}
		e.Devices, e.DevicesLocked, e.DevicesDistrusted = d.devices, d.locked, d.distrusted
		latest[acct] = max(latest[acct], d.lastFailure)
	}
	out := make([]LockoutEntry, 0, len(accts))
	for _, e := range accts {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if ti, tj := latest[out[i].Key], latest[out[j].Key]; ti != tj {
			return ti > tj
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// splitAcctKey splits a key under "{a:": the account's hex key, and
// whether it is one of the account's device records rather than the
// account record itself.
func splitAcctKey(key string) (acct string, device, ok bool) {
	const n = len("{a:}") + 32
	if len(key) < n || key[n-1] != '}' {
		return "", false, false
	}
	acct = key[3 : n-1]
	if len(key) == n {
		return acct, false, true
	}
	if !strings.HasPrefix(key[n:], ":d:") {
		return "", false, false
	}
	return acct, true, true
}

// deviceTally sums an account's device records for List.
type deviceTally struct {
	devices, locked, distrusted int
	lastFailure                 int64
}

// add counts one device record as it stands at now; a record holding
// only in-flight reservations (no failure, lock or revocation) is not a
// device with a state to show.
func (d *deviceTally) add(o *LockoutOptions, now int64, r devRec) {
	r.normalize(o, now)
	if r.F == 0 && r.C == 0 && r.LU == 0 {
		return
	}
	d.devices++
	if r.LU > now {
		d.locked++
	}
	if r.C >= o.HardLimit {
		d.distrusted++
	}
	d.lastFailure = max(d.lastFailure, r.LF)
}
