package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/authguard"
)

// LockoutConfig is the account lockout in JSON. Zero values take the
// engine's defaults.
type LockoutConfig struct {
	// Off turns the lockout off.
	Off bool `json:"off,omitempty"`
	// Threshold is how many consecutive failures untrusted clients get
	// before the first lock. Default: 5.
	Threshold int `json:"threshold,omitempty"`
	// Locks are the lock durations after the threshold, escalating; the
	// last repeats. Default: 15m, 30m, 60m.
	Locks []caddy.Duration `json:"locks,omitempty"`
	// HardLimit is the consecutive untrusted failures after which only a
	// password reset or an admin unlocks (NIST: at most 100). Default: 100.
	HardLimit int `json:"hard_limit,omitempty"`
	// ResetAfter forgets failures after this long without one. Default: 24h.
	ResetAfter caddy.Duration `json:"reset_after,omitempty"`
	// DeviceFailures is a trusted device's own budget per DeviceWindow.
	// Default: 5.
	DeviceFailures int `json:"device_failures,omitempty"`
	// DeviceWindow is the device budget's window. Default: 15m.
	DeviceWindow caddy.Duration `json:"device_window,omitempty"`
	// DeviceMaxAge is the device cookie's lifetime, renewed on every
	// success. Default: 365 days.
	DeviceMaxAge caddy.Duration `json:"device_max_age,omitempty"`
	// RecoveryMaxAge is the recovery cookie's lifetime. Default: 1h.
	RecoveryMaxAge caddy.Duration `json:"recovery_max_age,omitempty"`
	// RecoveryFailures is how many failed recovery sign-ins an account
	// accepts per day. Default: 3.
	RecoveryFailures int `json:"recovery_failures,omitempty"`
	// SprayAccounts is how many distinct accounts one IP (IPv6 /64) may
	// fail against per SprayWindow. Default: 20.
	SprayAccounts int `json:"spray_accounts,omitempty"`
	// SprayWindow is the spray window. Default: 10m.
	SprayWindow caddy.Duration `json:"spray_window,omitempty"`
	// Timeout bounds each Redis operation; past it the sign-in follows
	// on_store_error. Default: 200ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// provisionLockout builds the lockout engine on its store.
func (ag *AuthGuard) provisionLockout(app *App, cfg *authguard.GuardConfig) error {
	if ag.Lockout != nil && ag.Lockout.Off {
		return nil
	}
	ag.logger.Warn("lockout engine not wired yet")
	return nil
}
