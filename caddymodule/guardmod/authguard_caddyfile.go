package guardmod

import (
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/ocomms/ocomms-edge/authguard"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("ocomms_auth_guard", parseAuthGuardCaddyfile)
}

func parseAuthGuardCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var ag AuthGuard
	err := ag.UnmarshalCaddyfile(h.Dispenser)
	return &ag, err
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
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if seen[name] {
			return d.Errf("%s is given twice", name)
		}
		seen[name] = true
		switch name {
		case "prefix":
			if !d.AllArgs(&ag.Prefix) {
				return d.ArgErr()
			}
			if !strings.HasPrefix(ag.Prefix, "/") {
				return d.Errf("prefix %q: use an absolute path such as /api/auth", ag.Prefix)
			}
		case "max_body":
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			n, err := humanize.ParseBytes(v)
			if err != nil || n == 0 || n > 1<<30 {
				return d.Errf("max_body %q: want a size such as 64KiB", v)
			}
			ag.MaxBody = int64(n)
		case "body_timeout":
			dur, err := modkit.PositiveDuration(d, "10s")
			if err != nil {
				return err
			}
			ag.BodyTimeout = dur
		case "unlock_url":
			if !d.AllArgs(&ag.UnlockURL) {
				return d.ArgErr()
			}
		case "unlock_mode":
			if !d.AllArgs(&ag.UnlockMode) {
				return d.ArgErr()
			}
			if ag.UnlockMode != authguard.UnlockModeReset && ag.UnlockMode != authguard.UnlockModeAdmin {
				return d.Errf("unlock_mode %q: use reset (the app has a password reset page) or admin (it has none)", ag.UnlockMode)
			}
		case "lock_message":
			if !d.AllArgs(&ag.LockMessage) {
				return d.ArgErr()
			}
		case "hard_lock_message":
			if !d.AllArgs(&ag.HardLockMessage) {
				return d.ArgErr()
			}
		case "session_url":
			if !d.AllArgs(&ag.SessionURL) {
				return d.ArgErr()
			}
		case "on_store_error":
			if !d.AllArgs(&ag.OnStoreError) {
				return d.ArgErr()
			}
			if ag.OnStoreError != "closed" && ag.OnStoreError != "open" {
				return d.Errf("on_store_error %q: use closed or open", ag.OnStoreError)
			}
		case "store":
			if !d.AllArgs(&ag.Store) {
				return d.ArgErr()
			}
			if ag.Store != "memory" && ag.Store != "redis" {
				return d.Errf("store %q: use memory or redis", ag.Store)
			}
		case "password":
			pc, err := parsePasswordBlock(d)
			if err != nil {
				return err
			}
			ag.Password = pc
		case "lockout":
			lc, err := parseLockoutBlock(d)
			if err != nil {
				return err
			}
			ag.Lockout = lc
		case "two_factor":
			tc, err := parseTwoFactorBlock(d)
			if err != nil {
				return err
			}
			ag.TwoFactor = tc
		default:
			return d.Errf("unrecognized ocomms_auth_guard subdirective %q", name)
		}
	}
	return nil
}

// offArg reads an optional single "off" argument of a block subdirective.
func offArg(d *caddyfile.Dispenser) (bool, error) {
	if !d.NextArg() {
		return false, nil
	}
	if d.Val() != "off" || d.NextArg() {
		return false, d.Errf("%s takes a block, or off", d.Val())
	}
	return true, nil
}

func parsePasswordBlock(d *caddyfile.Dispenser) (*PasswordConfig, error) {
	pc := &PasswordConfig{}
	off, err := offArg(d)
	if err != nil {
		return nil, err
	}
	if off {
		pc.Off = true
		return pc, nil
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "min_length":
			if pc.MinLength, err = modkit.IntArg(d); err != nil {
				return nil, err
			}
			if pc.MinLength < 1 {
				return nil, d.Errf("min_length %d: at least 1", pc.MinLength)
			}
		case "max_length":
			if pc.MaxLength, err = modkit.IntArg(d); err != nil {
				return nil, err
			}
			if pc.MaxLength < 1 {
				return nil, d.Errf("max_length %d: at least 1", pc.MaxLength)
			}
		case "require":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return nil, d.ArgErr()
			}
			for _, a := range args {
				if a != "upper" && a != "lower" && a != "digit" && a != "symbol" {
					return nil, d.Errf("require %q: use upper, lower, digit or symbol", a)
				}
			}
			pc.Require = args
		case "min_score":
			n, err := modkit.IntArg(d)
			if err != nil {
				return nil, err
			}
			if n < 0 || n > 4 {
				return nil, d.Errf("min_score %d: use 0 (off) to 4", n)
			}
			pc.MinScore, pc.NoStrength = n, n == 0
		case "words":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return nil, d.ArgErr()
			}
			pc.Words = append(pc.Words, args...)
		case "blocklist":
			var v string
			if !d.AllArgs(&v) || (v != "on" && v != "off") {
				return nil, d.Err("blocklist: use on or off")
			}
			pc.NoBlocklist = v == "off"
		default:
			return nil, d.Errf("unrecognized password subdirective %q", d.Val())
		}
	}
	return pc, nil
}

func parseLockoutBlock(d *caddyfile.Dispenser) (*LockoutConfig, error) {
	lc := &LockoutConfig{}
	off, err := offArg(d)
	if err != nil {
		return nil, err
	}
	if off {
		lc.Off = true
		return lc, nil
	}
	ints := map[string]*int{
		"threshold": &lc.Threshold, "hard_limit": &lc.HardLimit, "device_failures": &lc.DeviceFailures,
		"recovery_failures": &lc.RecoveryFailures, "spray_accounts": &lc.SprayAccounts,
	}
	durs := map[string]*caddy.Duration{
		"reset_after": &lc.ResetAfter, "device_window": &lc.DeviceWindow, "device_max_age": &lc.DeviceMaxAge,
		"recovery_max_age": &lc.RecoveryMaxAge, "spray_window": &lc.SprayWindow, "timeout": &lc.Timeout,
		"reservation_ttl": &lc.ReservationTTL,
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if p, ok := ints[name]; ok {
			if *p, err = modkit.PositiveIntArg(d); err != nil {
				return nil, err
			}
			continue
		}
		if p, ok := durs[name]; ok {
			if *p, err = modkit.PositiveDuration(d, "15m"); err != nil {
				return nil, err
			}
			continue
		}
		if name != "locks" {
			return nil, d.Errf("unrecognized lockout subdirective %q", name)
		}
		locks, err := modkit.DurationsArg(d, func(dur time.Duration) bool { return dur > 0 }, "15m 30m 60m")
		if err != nil {
			return nil, err
		}
		lc.Locks = append(lc.Locks, locks...)
	}
	return lc, nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*AuthGuard)(nil)
