package caddymodule

import (
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/ratelimit"
)

// memoryStores holds the process's memory store, shared by every
// ocomms_rate_limit handler and kept across config reloads, so a reload
// does not hand every client a fresh budget.
var memoryStores = caddy.NewUsagePool()

type pooledMemoryStore struct{ store *ratelimit.MemoryStore }

func (p *pooledMemoryStore) Destruct() error { return nil }

const memoryStoreKey = "ocomms.ratelimit.memory"

// acquireMemoryStore returns the shared memory store, limited to maxKeys.
func acquireMemoryStore(maxKeys int) (*ratelimit.MemoryStore, func(), error) {
	v, _, err := memoryStores.LoadOrNew(memoryStoreKey, func() (caddy.Destructor, error) {
		return &pooledMemoryStore{store: ratelimit.NewMemoryStore(maxKeys, nil)}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	s := v.(*pooledMemoryStore).store
	s.SetMaxKeys(maxKeys)
	return s, func() { _, _ = memoryStores.Delete(memoryStoreKey) }, nil
}

// provisionStore picks the store: memory, or Redis (through a resilient
// wrapper that falls back per zone) when configured.
func (rl *RateLimit) provisionStore(app *modkit.Shared, zones []ratelimit.Zone) error {
	mem, release, err := acquireMemoryStore(rl.MaxKeys)
	if err != nil {
		return fmt.Errorf("memory store: %w", err)
	}
	rl.cleanup = append(rl.cleanup, release)
	switch rl.Store {
	case "", "memory", "redis":
	default:
		return fmt.Errorf("store %q: use memory or redis", rl.Store)
	}
	useRedis := rl.Store == "redis" || (rl.Store == "" && app.Redis.Enabled())
	if !useRedis {
		rl.store = mem
		return nil
	}
	if !app.Redis.Enabled() {
		return fmt.Errorf("store redis: no Redis configured; add `ocomms { redis <url> }` to the global options")
	}
	return rl.provisionRedisStore(app, zones, mem)
}

// provisionRedisStore puts the zones on the shared Redis, behind a
// resilient store that follows each zone's on_store_error (falling back to
// mem for "local") while Redis fails, with one log line and a metric per
// change.
func (rl *RateLimit) provisionRedisStore(app *modkit.Shared, zones []ratelimit.Zone, mem *ratelimit.MemoryStore) error {
	client, err := app.Redis.Acquire()
	if err != nil {
		return fmt.Errorf("redis client: %w", err)
	}
	rl.cleanup = append(rl.cleanup, app.Redis.Release)
	if len(app.Secret) == 0 {
		rl.logger.Warn("ocomms secret is empty: client keys in Redis are hashed without a key; set `secret {env.OCOMMS_SECRET}` in the ocomms global option, the same on every instance")
	}
	policies := make(map[string]ratelimit.ErrorPolicy, len(zones))
	for _, z := range zones {
		policies[z.Name] = z.OnStoreError
	}
	primary := ratelimit.NewRedisStore(client, ratelimit.RedisOptions{
		Timeout: time.Duration(rl.Timeout), SyncInterval: time.Duration(rl.SyncInterval), MaxKeys: rl.MaxKeys,
	})
	logger := rl.logger
	store := ratelimit.NewResilientStore(primary, mem, ratelimit.ResilientOptions{
		Policy:       func(zone string) ratelimit.ErrorPolicy { return policies[zone] },
		LocalDivisor: int64(rl.Instances),
		OnStateChange: func(open bool, err error) {
			if open {
				modkit.RateLimitStoreFallback.Set(1)
				rateLimitStoreStateChanges.WithLabelValues("open").Inc()
				logger.Error("rate limit store unreachable: zones follow on_store_error until it answers", zap.Error(err))
				return
			}
			modkit.RateLimitStoreFallback.Set(0)
			rateLimitStoreStateChanges.WithLabelValues("closed").Inc()
			logger.Info("rate limit store answers again: shared limits resumed")
		},
	})
	store.Start()
	rl.cleanup = append(rl.cleanup, store.Close)
	rl.store = store
	return nil
}
