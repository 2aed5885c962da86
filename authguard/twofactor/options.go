package twofactor

import (
	"errors"
	"fmt"
	"time"
)

// The guessing arithmetic behind the defaults.
//
// A 6-digit TOTP code is one of 10^6. better-auth's twoFactor plugin (1.4)
// checks a code against the current 30-second step and one step either
// side, so a guess is right with probability about 3/10^6 (an OTP sent by
// mail or SMS: 1/10^6). With N wrong codes allowed per account per day,
// an attacker who holds the password succeeds within a day with
// probability P = 1-(1-3/10^6)^N ≈ 3N/10^6. P < 10^-4 (below 1 in 10,000
// per day per account) needs N < 33.3.
//
// The guard therefore caps wrong codes per account at DailyCap (default
// 20) in any rolling 24 hours — P ≤ 6·10^-5 — whatever the pending
// sessions, IPs or lock schedule; the consecutive-failure locks (5 wrong
// codes, then 1 h, 4 h, 24 h) stop a burst earlier and are what a user
// normally meets: they alone allow at most 5+1+1 = 7 per day after a
// quiet spell (P ≈ 2.1·10^-5).
const (
	// CodeSpace is the number of 6-digit codes.
	CodeSpace = 1_000_000
	// CodesAccepted is how many codes a TOTP check accepts at once (the
	// current step and one either side).
	CodesAccepted = 3
	// MaxDailyGuessProbability is the bound the options must keep: an
	// attacker's chance to guess a code per account per day.
	MaxDailyGuessProbability = 1e-4
)

// GuessProbability is the chance that n guesses of a TOTP code include a
// right one, to first order (3n/10^6; an upper bound of the exact value).
func GuessProbability(n int) float64 {
	return float64(n) * CodesAccepted / CodeSpace
}

// Options configure the Limiter. Zero values take the defaults named in
// each field's comment.
type Options struct {
	// Secret keys the HMACs of pending two-factor cookies and sessions
	// (never stored in clear). Required, at least 16 bytes; the same on
	// every instance sharing a store.
	Secret []byte
	// Store keeps the records. Required. Every decision is made at the
	// store's clock (the memory store's, or the Redis server's), so
	// instances sharing a store agree.
	Store Store
	// MaxFailures is how many consecutive wrong codes (TOTP or OTP) an
	// account gets before it is locked. Default 5.
	MaxFailures int
	// Locks are the lock durations after failure MaxFailures, +1, +2…;
	// the last repeats. After a lock one attempt at a time is let
	// through. Default 1h, 4h, 24h.
	Locks []time.Duration
	// Delays are the waits after the 1st, 2nd… consecutive wrong code
	// before the next may be tried (progressive refusal before the
	// lock). Default 0s, 5s, 15s, 30s.
	Delays []time.Duration
	// DailyCap is the most wrong codes counted per account in any rolling
	// 24 hours; above it every code is refused until the oldest ages out.
	// It is what bounds the guessing chance: GuessProbability(DailyCap)
	// must stay below 1e-4, so at most 33. Default 20.
	DailyCap int
	// ResetAfter forgets consecutive failures and the lock escalation
	// after this long without a wrong code (and no lock in force). The
	// 24-hour tally is not reset. Default 24h.
	ResetAfter time.Duration

	// PendingMaxFailures is how many wrong codes one pending two-factor
	// sign-in (one two-factor cookie) gets; then the user signs in again
	// with the password. Default 3.
	PendingMaxFailures int

	// BackupMaxFailures is the backup-code budget per account, separate
	// from the code budget so that a user whose codes are locked can
	// still recover with a backup code. Backup codes are 10 random
	// characters, so guessing one is hopeless; the budget only stops
	// floods. Default 5.
	BackupMaxFailures int
	// BackupLocks are the backup budget's locks. Default 1h, 24h.
	BackupLocks []time.Duration
	// BackupDailyCap caps wrong backup codes per account per 24 h.
	// Default 10.
	BackupDailyCap int

	// SendOTP is how many send-otp requests one account (or session) may
	// make per SendOTPWindow. Default 3.
	SendOTP int
	// SendOTPPerIP is how many send-otp requests one IP (IPv6 /64) may
	// make per SendOTPWindow, across accounts. Default 10.
	SendOTPPerIP int
	// SendOTPWindow is the send-otp window. Default 10m.
	SendOTPWindow time.Duration

	// PendingTTL is how long a pending sign-in is remembered when the
	// two-factor cookie names no Max-Age (better-auth's default is 10
	// minutes). Default 10m; at most MaxPendingTTL.
	PendingTTL time.Duration
	// ReservationTTL is how long an admitted attempt holds its slot when
	// Settle is never called; an expired reservation counts as a wrong
	// code in the daily tally (so the cap is strict). Default 60s.
	ReservationTTL time.Duration
}

// Defaults.
const (
	DefaultMaxFailures        = 5
	DefaultDailyCap           = 20
	DefaultResetAfter         = 24 * time.Hour
	DefaultPendingMaxFailures = 3
	DefaultBackupMaxFailures  = 5
	DefaultBackupDailyCap     = 10
	DefaultSendOTP            = 3
	DefaultSendOTPPerIP       = 10
	DefaultSendOTPWindow      = 10 * time.Minute
	DefaultPendingTTL         = 10 * time.Minute
	MaxPendingTTL             = 24 * time.Hour
	DefaultReservationTTL     = 60 * time.Second
	// Window is the daily cap's rolling window.
	Window = 24 * time.Hour
)

// Default schedules.
var (
	DefaultLocks       = []time.Duration{time.Hour, 4 * time.Hour, 24 * time.Hour}
	DefaultDelays      = []time.Duration{0, 5 * time.Second, 15 * time.Second, 30 * time.Second}
	DefaultBackupLocks = []time.Duration{time.Hour, 24 * time.Hour}
)

// MaxDailyCap is the largest DailyCap that keeps GuessProbability below
// MaxDailyGuessProbability.
const MaxDailyCap = 33

func (o Options) withDefaults() (Options, error) {
	if len(o.Secret) < 16 {
		return o, errors.New("two-factor guard: secret needs at least 16 bytes")
	}
	if o.Store == nil {
		return o, errors.New("two-factor guard: a store is required")
	}
	for _, v := range []struct {
		p *int
		d int
	}{{&o.MaxFailures, DefaultMaxFailures}, {&o.DailyCap, DefaultDailyCap}, {&o.PendingMaxFailures, DefaultPendingMaxFailures},
		{&o.BackupMaxFailures, DefaultBackupMaxFailures}, {&o.BackupDailyCap, DefaultBackupDailyCap},
		{&o.SendOTP, DefaultSendOTP}, {&o.SendOTPPerIP, DefaultSendOTPPerIP}} {
		if *v.p == 0 {
			*v.p = v.d
		}
		if *v.p < 1 {
			return o, fmt.Errorf("two-factor guard: counts must be at least 1, got %d", *v.p)
		}
	}
	for _, v := range []struct {
		p *time.Duration
		d time.Duration
	}{{&o.ResetAfter, DefaultResetAfter}, {&o.SendOTPWindow, DefaultSendOTPWindow},
		{&o.PendingTTL, DefaultPendingTTL}, {&o.ReservationTTL, DefaultReservationTTL}} {
		if *v.p == 0 {
			*v.p = v.d
		}
		if *v.p < time.Second {
			return o, fmt.Errorf("two-factor guard: duration %v: must be at least 1s", *v.p)
		}
	}
	if o.PendingTTL > MaxPendingTTL {
		return o, fmt.Errorf("two-factor guard: pending ttl %v above %v", o.PendingTTL, MaxPendingTTL)
	}
	if len(o.Locks) == 0 {
		o.Locks = append([]time.Duration(nil), DefaultLocks...)
	}
	if o.Delays == nil {
		o.Delays = append([]time.Duration(nil), DefaultDelays...)
	}
	if len(o.BackupLocks) == 0 {
		o.BackupLocks = append([]time.Duration(nil), DefaultBackupLocks...)
	}
	for _, d := range append(append([]time.Duration{}, o.Locks...), o.BackupLocks...) {
		if d < time.Second {
			return o, fmt.Errorf("two-factor guard: lock %v: must be at least 1s", d)
		}
	}
	for _, d := range o.Delays {
		if d < 0 {
			return o, fmt.Errorf("two-factor guard: delay %v: must not be negative", d)
		}
	}
	if p := GuessProbability(o.DailyCap); p >= MaxDailyGuessProbability {
		return o, fmt.Errorf("two-factor guard: daily_cap %d lets an attacker guess a TOTP code with probability %.1e per day per account; at most %d keeps it below 1e-4",
			o.DailyCap, p, MaxDailyCap)
	}
	return o, nil
}

// codePolicy, backupPolicy and pendingPolicy are the three budgets.
func (o *Options) codePolicy() policy {
	return policy{max: o.MaxFailures, locks: o.Locks, delays: o.Delays, dailyCap: o.DailyCap, resetAfter: o.ResetAfter, resv: o.ReservationTTL}
}

func (o *Options) backupPolicy() policy {
	return policy{max: o.BackupMaxFailures, locks: o.BackupLocks, dailyCap: o.BackupDailyCap, resetAfter: o.ResetAfter, resv: o.ReservationTTL}
}

func (o *Options) pendingPolicy() policy {
	// No locks: a pending sign-in that spent its budget is over.
	return policy{max: o.PendingMaxFailures, resetAfter: MaxPendingTTL, resv: o.ReservationTTL}
}
