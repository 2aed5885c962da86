package guardmod

import (
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/dustin/go-humanize"

	"github.com/ocomms/ocomms-edge/authguard"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	modkit.RegisterHandlerDirective[AuthGuard]("ocomms_auth_guard")
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	ocomms_auth_guard {
//	    prefix          <path>              # default /api/auth
//	    max_body        <size>              # default 64KiB
//	    body_timeout    <duration>          # default 10s, then 408
//	    unlock_url      <url>               # default /forgot-password
//	    unlock_mode     reset|admin         # default reset
//	    lock_message    <text>              # {wait}, {minutes}; default per mode
//	    hard_lock_message <text>            # default per mode
//	    session_url     <url>|off           # default http://localhost:3000/api/auth/get-session
//	    on_store_error  closed|open         # default closed (503)
//	    store           memory|redis        # default: redis if configured
//	    password off
//	    password {
//	        min_length  <n>                 # default 15 code points
//	        max_length  <n>                 # default 128 UTF-16 units
//	        require     upper lower digit symbol   # default none
//	        min_score   <0-4>               # default 3; 0 turns it off
//	        words       <word...>           # extra context words
//	        blocklist   on|off              # default on
//	    }
//	    lockout off
//	    lockout {
//	        threshold          <n>          # default 5 free failures
//	        locks              <duration...> # default 15m 30m 60m
//	        hard_limit         <n>          # default 100
//	        reset_after        <duration>   # default 24h
//	        device_failures    <n>          # default 5
//	        device_window      <duration>   # default 15m
//	        device_max_age     <duration>   # default 365d
//	        recovery_max_age   <duration>   # default 1h
//	        recovery_failures  <n>          # default 3
//	        spray_accounts     <n>          # default 20
//	        spray_window       <duration>   # default 10m
//	        reservation_ttl    <duration>   # default 30s
//	        timeout            <duration>   # Redis, default 200ms
//	    }
//	    two_factor off
//	    two_factor { … }                    # see parseTwoFactorBlock; on with the lockout
//	}
func (ag *AuthGuard) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if err := modkit.NoArgs(d); err != nil {
		return err
	}
	return modkit.Subdirectives{
		"prefix": func(d *caddyfile.Dispenser) error {
			if !d.AllArgs(&ag.Prefix) {
				return d.ArgErr()
			}
			if !strings.HasPrefix(ag.Prefix, "/") {
				return d.Errf("prefix %q: use an absolute path such as /api/auth", ag.Prefix)
			}
			return nil
		},
		"max_body": func(d *caddyfile.Dispenser) error {
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			n, err := humanize.ParseBytes(v)
			if err != nil || n == 0 || n > 1<<30 {
				return d.Errf("max_body %q: want a size such as 64KiB", v)
			}
			ag.MaxBody = int64(n)
			return nil
		},
		"body_timeout": modkit.SetPositiveDuration(&ag.BodyTimeout, "10s"),
		"unlock_url":   modkit.SetString(&ag.UnlockURL),
		"unlock_mode": func(d *caddyfile.Dispenser) error {
			if !d.AllArgs(&ag.UnlockMode) {
				return d.ArgErr()
			}
			if ag.UnlockMode != authguard.UnlockModeReset && ag.UnlockMode != authguard.UnlockModeAdmin {
				return d.Errf("unlock_mode %q: use reset (the app has a password reset page) or admin (it has none)", ag.UnlockMode)
			}
			return nil
		},
		"lock_message":      modkit.SetString(&ag.LockMessage),
		"hard_lock_message": modkit.SetString(&ag.HardLockMessage),
		"session_url":       modkit.SetString(&ag.SessionURL),
		"on_store_error":    modkit.SetOneOf(&ag.OnStoreError, "closed", "open"),
		"store":             modkit.SetOneOf(&ag.Store, "memory", "redis"),
		"password": func(d *caddyfile.Dispenser) (err error) {
			ag.Password, err = parsePasswordBlock(d)
			return err
		},
		"lockout": func(d *caddyfile.Dispenser) (err error) {
			ag.Lockout, err = parseLockoutBlock(d)
			return err
		},
		"two_factor": func(d *caddyfile.Dispenser) (err error) {
			ag.TwoFactor, err = parseTwoFactorBlock(d)
			return err
		},
	}.Once("%s is given twice").Parse(d, "unrecognized ocomms_auth_guard subdirective %q")
}

// offOrBlock reads a subdirective given either as "off", which sets
// *off, or with a block, which block reads; unknown formats the error for
// a name the block lacks.
func offOrBlock(d *caddyfile.Dispenser, off *bool, block modkit.Subdirectives, unknown string) error {
	if !d.NextArg() {
		return block.Parse(d, unknown)
	}
	if d.Val() != "off" || d.NextArg() {
		return d.Errf("%s takes a block, or off", d.Val())
	}
	*off = true
	return nil
}

func parsePasswordBlock(d *caddyfile.Dispenser) (*PasswordConfig, error) {
	pc := &PasswordConfig{}
	// length reads a length of at least 1.
	length := func(dst *int) modkit.ParseFunc {
		return func(d *caddyfile.Dispenser) (err error) {
			name := d.Val()
			if *dst, err = modkit.IntArg(d); err != nil {
				return err
			}
			if *dst < 1 {
				return d.Errf("%s %d: at least 1", name, *dst)
			}
			return nil
		}
	}
	err := offOrBlock(d, &pc.Off, modkit.Subdirectives{
		"min_length": length(&pc.MinLength),
		"max_length": length(&pc.MaxLength),
		"require": func(d *caddyfile.Dispenser) error {
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			for _, a := range args {
				if a != "upper" && a != "lower" && a != "digit" && a != "symbol" {
					return d.Errf("require %q: use upper, lower, digit or symbol", a)
				}
			}
			pc.Require = args
			return nil
		},
		"min_score": func(d *caddyfile.Dispenser) error {
			n, err := modkit.IntArg(d)
			if err != nil {
				return err
			}
			if n < 0 || n > 4 {
				return d.Errf("min_score %d: use 0 (off) to 4", n)
			}
			pc.MinScore, pc.NoStrength = n, n == 0
			return nil
		},
		"words": modkit.AppendStrings(&pc.Words),
		"blocklist": func(d *caddyfile.Dispenser) error {
			var v string
			if !d.AllArgs(&v) || (v != "on" && v != "off") {
				return d.Err("blocklist: use on or off")
			}
			pc.NoBlocklist = v == "off"
			return nil
		},
	}, "unrecognized password subdirective %q")
	if err != nil {
		return nil, err
	}
	return pc, nil
}

func parseLockoutBlock(d *caddyfile.Dispenser) (*LockoutConfig, error) {
	lc := &LockoutConfig{}
	duration := func(dst *caddy.Duration) modkit.ParseFunc { return modkit.SetPositiveDuration(dst, "15m") }
	err := offOrBlock(d, &lc.Off, modkit.Subdirectives{
		"threshold": modkit.SetPositiveInt(&lc.Threshold),
		"locks": func(d *caddyfile.Dispenser) error {
			locks, err := modkit.DurationsArg(d, func(dur time.Duration) bool { return dur > 0 }, "15m 30m 60m")
			if err != nil {
				return err
			}
			lc.Locks = append(lc.Locks, locks...)
			return nil
		},
		"hard_limit":        modkit.SetPositiveInt(&lc.HardLimit),
		"reset_after":       duration(&lc.ResetAfter),
		"device_failures":   modkit.SetPositiveInt(&lc.DeviceFailures),
		"device_window":     duration(&lc.DeviceWindow),
		"device_max_age":    duration(&lc.DeviceMaxAge),
		"recovery_max_age":  duration(&lc.RecoveryMaxAge),
		"recovery_failures": modkit.SetPositiveInt(&lc.RecoveryFailures),
		"spray_accounts":    modkit.SetPositiveInt(&lc.SprayAccounts),
		"spray_window":      duration(&lc.SprayWindow),
		"reservation_ttl":   duration(&lc.ReservationTTL),
		"timeout":           duration(&lc.Timeout),
	}, "unrecognized lockout subdirective %q")
	if err != nil {
		return nil, err
	}
	return lc, nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*AuthGuard)(nil)
