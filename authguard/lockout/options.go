package lockout

import (
	"errors"
	"fmt"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// LockoutOptions configure the account lockout (SEC-07). Zero values take
// the defaults named in each field's comment.
type LockoutOptions struct {
	// Secret keys every hash and signature: account keys are an HMAC of
	// the lower-cased email, device and recovery cookies are signed with
	// keys derived from it under their own labels (never the secret
	// itself, never BETTER_AUTH_SECRET). Required, at least 16 bytes.
	// Instances sharing a Redis store must share it.
	Secret []byte
	// Store keeps the state. Default: a new MemoryLockStore.
	Store LockStore
	// Events receives account_locked, account_unlocked and
	// sign_in_refused. Default: secevent.Discard.
	Events secevent.Emitter
	// Clock is the time source for cookie issue and expiry checks (the
	// stores have their own clocks). Default: time.Now.
	Clock func() time.Time

	// FreeFailures is how many consecutive failures untrusted clients get
	// before the first lock. Default 5.
	FreeFailures int
	// Locks are the lock durations after failure FreeFailures, +1, +2…;
	// the last repeats. After each lock one attempt at a time is let
	// through; its failure starts the next lock. Default 15m, 30m, 60m.
	Locks []time.Duration
	// HardLimit is the number of consecutive untrusted failures after
	// which the account stays locked for untrusted clients until a
	// password reset (recovery cookie) or an admin unlocks it (NIST SP
	// 800-63B-4 §3.2.2: at most 100). It also revokes a device cookie
	// that failed this many times in a row. Default 100.
	HardLimit int
	// ResetAfter forgets an account's failures after this long without a
	// failure (and with no lock in force). Default 24h.
	ResetAfter time.Duration

	// DeviceFailures is a trusted device's budget per DeviceWindow; when
	// spent, that device is locked for DeviceWindow. Default 5.
	DeviceFailures int
	// DeviceWindow is the device budget's window. Default 15m.
	DeviceWindow time.Duration
	// DeviceMaxAge is the device cookie's lifetime (Max-Age), renewed on
	// every success. Default 365 days (browsers cap at 400).
	DeviceMaxAge time.Duration

	// RecoveryMaxAge is the recovery cookie's lifetime. Default 1h
	// (better-auth's reset token lives 1h).
	RecoveryMaxAge time.Duration
	// RecoveryFailures is how many failed recovery sign-ins an account
	// accepts per 24h before recovery cookies stop opening its lock (a
	// recovery cookie is not bound to an account, so this bounds the
	// guesses an attacker resetting their own password could add).
	// Default 3.
	RecoveryFailures int

	// SprayAccounts is how many distinct accounts one IP (IPv6 /64) may
	// fail against per SprayWindow; the IP is then refused until the
	// window ends. Default 20.
	SprayAccounts int
	// SprayWindow is the spray window, from the IP's first failure.
	// Default 10m.
	SprayWindow time.Duration

	// ReservationTTL is how long an admitted attempt holds its slot when
	// Settle is never called. Default 30s.
	ReservationTTL time.Duration
}

// Lockout defaults.
const (
	DefaultFreeFailures     = 5
	DefaultHardLimit        = 100
	DefaultResetAfter       = 24 * time.Hour
	DefaultDeviceFailures   = 5
	DefaultDeviceWindow     = 15 * time.Minute
	DefaultDeviceMaxAge     = 365 * 24 * time.Hour
	DefaultRecoveryMaxAge   = time.Hour
	DefaultRecoveryFailures = 3
	DefaultSprayAccounts    = 20
	DefaultSprayWindow      = 10 * time.Minute
	DefaultReservationTTL   = 30 * time.Second
)

// DefaultLocks is the default lock schedule.
var DefaultLocks = []time.Duration{15 * time.Minute, 30 * time.Minute, 60 * time.Minute}

// minSecret is the shortest secret accepted.
const minSecret = 16

// withDefaults validates o and fills its defaults.
func (o LockoutOptions) withDefaults() (LockoutOptions, error) {
	if len(o.Secret) < minSecret {
		return o, errors.New("lockout secret: need at least 16 bytes (set the ocomms secret)")
	}
	if o.Store == nil {
		o.Store = NewMemoryLockStore(MemoryLockStoreOptions{Clock: o.Clock})
	}
	if o.Events == nil {
		o.Events = secevent.Discard
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	setInt := func(p *int, d int) {
		if *p == 0 {
			*p = d
		}
	}
	setDur := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	setInt(&o.FreeFailures, DefaultFreeFailures)
	setInt(&o.HardLimit, DefaultHardLimit)
	setInt(&o.DeviceFailures, DefaultDeviceFailures)
	setInt(&o.RecoveryFailures, DefaultRecoveryFailures)
	setInt(&o.SprayAccounts, DefaultSprayAccounts)
	setDur(&o.ResetAfter, DefaultResetAfter)
	setDur(&o.DeviceWindow, DefaultDeviceWindow)
	setDur(&o.DeviceMaxAge, DefaultDeviceMaxAge)
	setDur(&o.RecoveryMaxAge, DefaultRecoveryMaxAge)
	setDur(&o.SprayWindow, DefaultSprayWindow)
	setDur(&o.ReservationTTL, DefaultReservationTTL)
	if len(o.Locks) == 0 {
		o.Locks = append([]time.Duration(nil), DefaultLocks...)
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"free_failures", o.FreeFailures}, {"hard_limit", o.HardLimit}, {"device_failures", o.DeviceFailures},
		{"recovery_failures", o.RecoveryFailures}, {"spray_accounts", o.SprayAccounts}} {
		if v.n < 1 {
			return o, fmt.Errorf("lockout %s %d: must be at least 1", v.name, v.n)
		}
	}
	if o.HardLimit < o.FreeFailures {
		return o, fmt.Errorf("lockout hard_limit %d below free_failures %d", o.HardLimit, o.FreeFailures)
	}
	for _, d := range append([]time.Duration{o.ResetAfter, o.DeviceWindow, o.DeviceMaxAge,
		o.RecoveryMaxAge, o.SprayWindow, o.ReservationTTL}, o.Locks...) {
		if d < time.Second {
			return o, fmt.Errorf("lockout duration %v: must be at least 1s", d)
		}
	}
	return o, nil
}
