package guardmod

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/authguard"
	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/twofactor"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

// TwoFactorConfig configures the two-factor brute-force guard on
// better-auth's twoFactor endpoints (verify-totp, verify-otp,
// verify-backup-code, send-otp). It needs the lockout (it shares its
// store and account keys). Zero values take the twofactor package's
// defaults.
type TwoFactorConfig struct {
	// Off turns the guard off.
	Off bool `json:"off,omitempty"`
	// MaxFailures: consecutive wrong codes per account before a lock.
	MaxFailures int `json:"max_failures,omitempty"`
	// Locks: lock durations, escalating; the last repeats.
	Locks []caddy.Duration `json:"locks,omitempty"`
	// Delays: waits after the 1st, 2nd… consecutive wrong code before
	// the next (progressive refusal before the lock).
	Delays []caddy.Duration `json:"delays,omitempty"`
	// DailyCap: wrong codes per account per rolling 24 h (at most 33).
	DailyCap int `json:"daily_cap,omitempty"`
	// PendingMaxFailures: wrong codes per pending two-factor sign-in.
	PendingMaxFailures int `json:"pending_max_failures,omitempty"`
	// BackupMaxFailures, BackupLocks, BackupDailyCap: the backup-code
	// budget, separate so that a locked user can recover.
	BackupMaxFailures int              `json:"backup_max_failures,omitempty"`
	BackupLocks       []caddy.Duration `json:"backup_locks,omitempty"`
	BackupDailyCap    int              `json:"backup_daily_cap,omitempty"`
	// SendOTP per account and SendOTPPerIP per IP, per SendOTPWindow.
	SendOTP       int            `json:"send_otp,omitempty"`
	SendOTPPerIP  int            `json:"send_otp_per_ip,omitempty"`
	SendOTPWindow caddy.Duration `json:"send_otp_window,omitempty"`
}

// provisionTwoFactor builds the two-factor guard over the lockout's store.
func (ag *AuthGuard) provisionTwoFactor(store lockout.LockStore, secret []byte, cfg *authguard.GuardConfig) error {
	tc := ag.TwoFactor
	if tc == nil {
		tc = &TwoFactorConfig{}
	}
	if tc.Off {
		return nil
	}
	durs := func(ds []caddy.Duration) []time.Duration {
		var out []time.Duration
		for _, d := range ds {
			out = append(out, time.Duration(d))
		}
		return out
	}
	tf, err := twofactor.New(twofactor.Options{
		Secret: secret, Store: twofactor.FromLockStore(store),
		MaxFailures: tc.MaxFailures, Locks: durs(tc.Locks), Delays: durs(tc.Delays), DailyCap: tc.DailyCap,
		PendingMaxFailures: tc.PendingMaxFailures,
		BackupMaxFailures:  tc.BackupMaxFailures, BackupLocks: durs(tc.BackupLocks), BackupDailyCap: tc.BackupDailyCap,
		SendOTP: tc.SendOTP, SendOTPPerIP: tc.SendOTPPerIP, SendOTPWindow: time.Duration(tc.SendOTPWindow),
	})
	if err != nil {
		return fmt.Errorf("two_factor: %w", err)
	}
	cfg.TwoFactor = tf
	return nil
}

// parseTwoFactorBlock reads
//
//	two_factor off
//	two_factor {
//	    max_failures         <n>             # default 5
//	    locks                <duration...>   # default 1h 4h 24h
//	    delays               <duration...>   # default 0s 5s 15s 30s; 0s: none
//	    daily_cap            <n>             # default 20, at most 33
//	    pending_max_failures <n>             # default 3
//	    backup_max_failures  <n>             # default 5
//	    backup_locks         <duration...>   # default 1h 24h
//	    backup_daily_cap     <n>             # default 10
//	    send_otp_rate        <n> <window>    # default 3 10m, per account
//	    send_otp_ip_rate     <n>             # default 10 per window, per IP
//	}
func parseTwoFactorBlock(d *caddyfile.Dispenser) (*TwoFactorConfig, error) {
	tc := &TwoFactorConfig{}
	// durations reads one or more durations, none shorter than least.
	durations := func(dst *[]caddy.Duration, least time.Duration) modkit.ParseFunc {
		return func(d *caddyfile.Dispenser) error {
			ds, err := modkit.DurationsArg(d, func(dur time.Duration) bool { return dur >= least }, "1h 4h 24h")
			if err != nil {
				return err
			}
			*dst = append(*dst, ds...)
			return nil
		}
	}
	err := offOrBlock(d, &tc.Off, modkit.Subdirectives{
		"max_failures": modkit.SetPositiveInt(&tc.MaxFailures),
		"locks":        durations(&tc.Locks, time.Second),
		"delays":       durations(&tc.Delays, 0),
		"daily_cap": func(d *caddyfile.Dispenser) error {
			n, err := modkit.PositiveIntArg(d)
			if err != nil {
				return err
			}
			if n > twofactor.MaxDailyCap {
				return d.Errf("daily_cap %d: at most %d keeps an attacker's chance of guessing a TOTP code below 1 in 10,000 per day (3 codes of 10^6 per guess)", n, twofactor.MaxDailyCap)
			}
			tc.DailyCap = n
			return nil
		},
		"pending_max_failures": modkit.SetPositiveInt(&tc.PendingMaxFailures),
		"backup_max_failures":  modkit.SetPositiveInt(&tc.BackupMaxFailures),
		"backup_locks":         durations(&tc.BackupLocks, time.Second),
		"backup_daily_cap":     modkit.SetPositiveInt(&tc.BackupDailyCap),
		"send_otp_rate": func(d *caddyfile.Dispenser) error {
			args := d.RemainingArgs()
			if len(args) != 2 {
				return d.Errf("send_otp_rate: want <n> <window>, such as 3 10m")
			}
			var n int
			if _, err := fmt.Sscanf(args[0], "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != args[0] {
				return d.Errf("send_otp_rate %q: want a count of at least 1", args[0])
			}
			dur, err := caddy.ParseDuration(args[1])
			if err != nil || dur < time.Second {
				return d.Errf("send_otp_rate window %q: want a duration such as 10m", args[1])
			}
			tc.SendOTP, tc.SendOTPWindow = n, caddy.Duration(dur)
			return nil
		},
		"send_otp_ip_rate": modkit.SetPositiveInt(&tc.SendOTPPerIP),
	}, "unrecognized two_factor subdirective %q")
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// twoFactorUnlocking is the lockout engine the admin API unlocks through:
// an admin unlock (by email or by key) also clears the account's
// two-factor locks and daily tally.
type twoFactorUnlocking struct {
	*lockout.Lockout
	tf *twofactor.Limiter
}

// withTwoFactorUnlock returns the engine for the admin API.
func withTwoFactorUnlock(e *lockout.Lockout, tf *twofactor.Limiter) lockout.LockoutEngine {
	if tf == nil {
		return e
	}
	return twoFactorUnlocking{Lockout: e, tf: tf}
}

// Unlock clears the account's sign-in lockout and two-factor state.
func (u twoFactorUnlocking) Unlock(ctx context.Context, email string) (bool, error) {
	had, err := u.Lockout.Unlock(ctx, email)
	had2, err2 := u.tf.Unlock(ctx, u.Lockout.AccountKey(email))
	return had || had2, errors.Join(err, err2)
}

// UnlockKey is Unlock by account key.
func (u twoFactorUnlocking) UnlockKey(ctx context.Context, key string) (bool, error) {
	had, err := u.Lockout.UnlockKey(ctx, key)
	if err != nil {
		return had, err // not an account key, or the store failed
	}
	had2, err2 := u.tf.Unlock(ctx, key)
	return had || had2, err2
}
