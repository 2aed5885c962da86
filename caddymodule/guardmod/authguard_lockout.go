package guardmod

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/authguard"
	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
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
	// ReservationTTL is how long an admitted attempt holds its slot when
	// its answer never comes. Default: 30s.
	ReservationTTL caddy.Duration `json:"reservation_ttl,omitempty"`
	// Timeout bounds each Redis operation; past it the sign-in follows
	// on_store_error. Default: 200ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// provisionLockout builds the lockout engine on its store: the process's
// memory store (kept across reloads) or the shared Redis.
func (ag *AuthGuard) provisionLockout(app *modkit.Shared, cfg *authguard.GuardConfig) error {
	lc := ag.Lockout
	if lc == nil {
		lc = &LockoutConfig{}
	}
	if lc.Off {
		return nil
	}
	opts := lockout.LockoutOptions{
		Secret:           app.Secret,
		Events:           cfg.Events,
		FreeFailures:     lc.Threshold,
		HardLimit:        lc.HardLimit,
		ResetAfter:       time.Duration(lc.ResetAfter),
		DeviceFailures:   lc.DeviceFailures,
		DeviceWindow:     time.Duration(lc.DeviceWindow),
		DeviceMaxAge:     time.Duration(lc.DeviceMaxAge),
		RecoveryMaxAge:   time.Duration(lc.RecoveryMaxAge),
		RecoveryFailures: lc.RecoveryFailures,
		SprayAccounts:    lc.SprayAccounts,
		SprayWindow:      time.Duration(lc.SprayWindow),
		ReservationTTL:   time.Duration(lc.ReservationTTL),
	}
	for _, d := range lc.Locks {
		opts.Locks = append(opts.Locks, time.Duration(d))
	}
	switch ag.Store {
	case "", "memory", "redis":
	default:
		return fmt.Errorf("store %q: use memory or redis", ag.Store)
	}
	useRedis := ag.Store == "redis" || (ag.Store == "" && app.Redis.Enabled())
	if useRedis {
		if !app.Redis.Enabled() {
			return fmt.Errorf("store redis: no Redis configured; add `ocomms { redis <url> }` to the global options")
		}
		if len(app.Secret) == 0 {
			return fmt.Errorf("lockout on Redis needs the ocomms secret (account keys and device cookies are keyed by it, the same on every instance): set `secret {env.OCOMMS_SECRET}` in the ocomms global option")
		}
		client, err := app.Redis.Acquire()
		if err != nil {
			return fmt.Errorf("redis client: %w", err)
		}
		ag.cleanup = append(ag.cleanup, app.Redis.Release)
		opts.Store = lockout.NewRedisLockStore(client, lockout.RedisLockStoreOptions{Timeout: time.Duration(lc.Timeout)})
	} else {
		mem, release, err := acquireLockMemory()
		if err != nil {
			return fmt.Errorf("memory store: %w", err)
		}
		ag.cleanup = append(ag.cleanup, release)
		opts.Store = mem.store
		if len(opts.Secret) == 0 {
			ag.logger.Warn("ocomms secret is empty: the lockout keys accounts with a random per-process key, so device cookies stop working at restart; set `secret {env.OCOMMS_SECRET}` in the ocomms global option")
			opts.Secret = mem.secret
		}
	}
	if len(opts.Secret) < 16 {
		return fmt.Errorf("the ocomms secret is %d bytes: the lockout needs at least 16 (32 random bytes are best)", len(opts.Secret))
	}
	engine, err := lockout.NewLockout(opts)
	if err != nil {
		return err
	}
	cfg.Lockout = engine
	ag.engine = engine
	if err := ag.provisionTwoFactor(opts.Store, opts.Secret, cfg); err != nil {
		return err
	}
	ag.cleanup = append(ag.cleanup, registerEngine(ag, withTwoFactorUnlock(engine, cfg.TwoFactor)))
	return nil
}

// lockMemory holds the process's lockout memory store, shared by every
// ocomms_auth_guard and kept across config reloads so a reload keeps every
// lock, with the random key used when no ocomms secret is set (so keys
// and device cookies stay valid across reloads too).
var lockMemory = caddy.NewUsagePool()

type pooledLockMemory struct {
	store  *lockout.MemoryLockStore
	secret []byte
}

func (*pooledLockMemory) Destruct() error { return nil }

const lockMemoryKey = "ocomms.authguard.memory"

func acquireLockMemory() (*pooledLockMemory, func(), error) {
	v, _, err := lockMemory.LoadOrNew(lockMemoryKey, func() (caddy.Destructor, error) {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("random key: %w", err)
		}
		return &pooledLockMemory{store: lockout.NewMemoryLockStore(lockout.MemoryLockStoreOptions{}), secret: secret}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return v.(*pooledLockMemory), func() { _, _ = lockMemory.Delete(lockMemoryKey) }, nil
}
