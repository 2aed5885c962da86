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
