package doctor

import (
	"context"
	"fmt"
	"slices"
)

// The two-factor guard's guessing bound (authguard/twofactor): a TOTP
// check accepts 3 codes of 10^6, and the guard lets at most daily_cap
// wrong codes per account through per 24 hours (default 20).
const (
	twoFactorDefaultDailyCap = 20
	twoFactorCodesAccepted   = 3
	twoFactorCodeSpace       = 1_000_000
	twoFactorFix             = "keep ocomms_auth_guard's lockout and `two_factor` on (Caddyfile.example does): " +
		"without them an attacker who has a password tries TOTP codes until one lands (about 3 in 10^6 per guess)"
)

// twoFactorSetting is one guard's two-factor configuration: off, or its
// daily cap.
type twoFactorSetting struct {
	Off      bool
	DailyCap int
}

// guardTwoFactorSettings finds every ocomms_auth_guard handler in a Caddy
// JSON config and returns its two-factor setting, defaults filled,
// without duplicates. The guard is off when its two_factor or its lockout
// is off (it keeps its records in the lockout's store).
func guardTwoFactorSettings(cfg any) []twoFactorSetting {
	var out []twoFactorSetting
	for _, v := range handlersNamed(cfg, "ocomms_auth_guard") {
		s := twoFactorSetting{DailyCap: twoFactorDefaultDailyCap}
		if lo, ok := v["lockout"].(map[string]any); ok && lo["off"] == true {
			s = twoFactorSetting{Off: true}
		}
		if tf, ok := v["two_factor"].(map[string]any); ok && !s.Off {
			if tf["off"] == true {
				s = twoFactorSetting{Off: true}
			} else if n, ok := tf["daily_cap"].(float64); ok && n > 0 {
				s.DailyCap = int(n)
			}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// checkTwoFactor reads the running config and reports, per guard, whether
// two-factor codes are limited and the daily guessing chance the limit
// allows (3·daily_cap/10^6, below 10^-4 for any cap the guard accepts).
func checkTwoFactor(ctx context.Context, opts Options) []Result {
	const name = "two-factor guard"
	if opts.Admin == "" {
		return []Result{skipped(name, "no --admin address to read the guard's configuration from")}
	}
	var cfg any
	if _, err := adminGet(ctx, opts, "/config/", &cfg); err != nil {
		return []Result{skipped(name, "admin API unreachable ("+err.Error()+")")}
	}
	settings := guardTwoFactorSettings(cfg)
	if len(settings) == 0 {
		return []Result{skipped(name, "no ocomms_auth_guard in this edge")}
	}
	var out []Result
	for _, s := range settings {
		if s.Off {
			out = append(out, Result{Name: name, Status: Warn,
				Detail: "two-factor codes are not limited (two_factor or lockout off): better-auth's own limiter allows about 26,000 guesses a day per IP, when it is on at all",
				Fix:    twoFactorFix, Data: map[string]any{"off": true}})
			continue
		}
		p := float64(s.DailyCap) * twoFactorCodesAccepted / twoFactorCodeSpace
		r := Result{Name: name, Status: Pass,
			Detail: fmt.Sprintf("at most %d wrong codes per account per 24 h: an attacker with the password guesses a TOTP code with probability ≤ %.1e a day", s.DailyCap, p),
			Data:   map[string]any{"daily_cap": s.DailyCap, "daily_guess_probability": p}}
		if p >= 1e-4 {
			r.Status, r.Fix = Warn, "lower two_factor daily_cap to 33 or less"
		}
		out = append(out, r)
	}
	return out
}
