package caddymodule

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"

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
func (rl *RateLimit) provisionStore(app *App, zones []ratelimit.Zone) error {
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
	useRedis := rl.Store == "redis" || (rl.Store == "" && app.Redis.enabled())
	if !useRedis {
		rl.store = mem
		return nil
	}
	if !app.Redis.enabled() {
		return fmt.Errorf("store redis: no Redis configured; add `ocomms { redis <url> }` to the global options")
	}
	return rl.provisionRedisStore(app, zones, mem)
}
