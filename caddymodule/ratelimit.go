package caddymodule

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/ratelimit"
	"github.com/ocomms/ocomms-edge/secevent"
)

func init() {
	caddy.RegisterModule(RateLimit{})
}

// RateLimit is the ocomms_rate_limit handler: named zones, each a rate on
// a key built from the request, decided together per request (one Redis
// round trip when Redis is configured), answering 429 with Retry-After,
// RateLimit headers and a JSON body the OComms UI shows.
type RateLimit struct {
	// Preset is the starting set of zones: ocomms or none. Default: ocomms.
	Preset string `json:"preset,omitempty"`

	// Zones adds zones, or replaces preset zones of the same name.
	Zones []*ZoneConfig `json:"zones,omitempty"`

	// RemoveZones drops preset zones by name.
	RemoveZones []string `json:"remove_zones,omitempty"`

	// Store is memory or redis. Default: redis when the ocomms global
	// option configures one, memory otherwise.
	Store string `json:"store,omitempty"`

	// MaxKeys bounds the memory store (also the fallback when Redis is
	// down). Idle keys are evicted first. Default: 1,000,000.
	MaxKeys int `json:"max_keys,omitempty"`

	// Timeout bounds each Redis decision; past it the zone follows its
	// on_store_error. Default: 50ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// BodyTimeout bounds the time to receive a body a zone keys on; a
	// slower client gets 408 JSON and its connection is closed. Default:
	// 10s.
	BodyTimeout caddy.Duration `json:"body_timeout,omitempty"`

	// AdmittedHeaders adds RateLimit and RateLimit-Policy to admitted
	// responses too. Default: only on 429s.
	AdmittedHeaders bool `json:"admitted_headers,omitempty"`

	// Instances is how many edge instances share the Redis store. While
	// Redis is down, zones with on_store_error local enforce 1/Instances
	// of their limit on each instance, so together they stay near the
	// shared limit. Default: 1 (the full limit on each instance).
	Instances int `json:"instances,omitempty"`

	// SyncInterval is how often approximate zones send the admissions
	// they made locally to Redis, in one batch. Default: 50ms.
	SyncInterval caddy.Duration `json:"sync_interval,omitempty"`

	// OvershootBound is informational, written by the Caddyfile adapter:
	// for each approximate zone, the most requests it may admit beyond
	// its limit over any window across Instances instances sharing Redis
	// (instances × lease). Exact zones have none. Provisioning ignores it.
	OvershootBound map[string]int64 `json:"overshoot_bound,omitempty"`

	limiter *ratelimit.Limiter
	store   ratelimit.Store
	// counters are each zone's decision counters (allowed, denied),
	// looked up once at provisioning.
	counters map[string]*[2]prometheus.Counter
	cleanup  modkit.Cleanups
	logger   *zap.Logger
	audit    secevent.Emitter
}

// ZoneConfig is one zone in JSON.
type ZoneConfig struct {
	// Name identifies the zone in headers, metrics and store keys.
	Name string `json:"name"`
	// MatchRaw is a matcher set selecting the zone's requests (all
	// matchers must match). Default: every request.
	MatchRaw caddy.ModuleMap `json:"match,omitempty" caddy:"namespace=http.matchers"`
	// Rate is requests per period, e.g. 5/1m.
	Rate string `json:"rate"`
	// Burst is how many requests may arrive at once. Default: the rate's
	// count.
	Burst int64 `json:"burst,omitempty"`
	// Key is what to count by: client_ip, header, cookie or body sources.
	Key []ratelimit.KeySource `json:"key"`
	// IPv4Prefix and IPv6Prefix group client addresses. Default: 32, 64.
	IPv4Prefix int `json:"ipv4_prefix,omitempty"`
	IPv6Prefix int `json:"ipv6_prefix,omitempty"`
	// CountStatus counts only responses with these statuses; others are
	// refunded. Default: every request counts.
	CountStatus []int `json:"count_status,omitempty"`
	// OnStoreError is local, allow or deny. Default: local.
	OnStoreError string `json:"on_store_error,omitempty"`
	// Mode is exact or approximate. Default: exact.
	Mode string `json:"mode,omitempty"`
	// Lease is an approximate zone's per-instance credit per key.
	// Default: burst/20, at least 1.
	Lease int64 `json:"lease,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (RateLimit) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[RateLimit]("http.handlers.ocomms_rate_limit")
}

// Provision builds the zones and the store. It opens no connection.
func (rl *RateLimit) Provision(ctx caddy.Context) error {
	rl.logger = ctx.Logger()
	audit, err := modkit.AuditEmitterFor(ctx)
	if err != nil {
		return fmt.Errorf("ocomms_rate_limit: %w", err)
	}
	rl.audit = audit
	if err := modkit.RegisterCollectors(ctx.GetMetricsRegistry(), rateLimitDecisions, modkit.RateLimitStoreFallback, rateLimitStoreStateChanges, modkit.RequestsRefused); err != nil {
		return fmt.Errorf("ocomms_rate_limit: registering metrics: %w", err)
	}
	app, err := modkit.AppFrom(ctx)
	if err != nil {
		return fmt.Errorf("ocomms_rate_limit: %w", err)
	}
	zones, err := rl.zones(ctx)
	if err != nil {
		return fmt.Errorf("ocomms_rate_limit: %w", err)
	}
	if err := rl.provisionStore(app, zones); err != nil {
		return fmt.Errorf("ocomms_rate_limit: %w", err)
	}
	rl.limiter, err = ratelimit.New(ratelimit.Config{
		Zones:           zones,
		ClientIP:        modkit.ClientIP,
		Hasher:          ratelimit.NewHasher(app.Secret),
		AdmittedHeaders: rl.AdmittedHeaders,
		BodyDeadline:    time.Duration(rl.BodyTimeout),
	}, rl.store)
	if err != nil {
		return fmt.Errorf("ocomms_rate_limit: %w", err)
	}
	rl.counters = make(map[string]*[2]prometheus.Counter, len(zones))
	for _, z := range zones {
		rl.counters[z.Name] = &[2]prometheus.Counter{
			rateLimitDecisions.WithLabelValues(z.Name, "allowed"),
			rateLimitDecisions.WithLabelValues(z.Name, "denied"),
		}
	}
	return nil
}

// zones translates the configured zones and merges them into the preset.
func (rl *RateLimit) zones(ctx caddy.Context) ([]ratelimit.Zone, error) {
	zones := make([]ratelimit.Zone, 0, len(rl.Zones))
	for _, zc := range rl.Zones {
		z, err := zc.zone(ctx)
		if err != nil {
			return nil, err
		}
		zones = append(zones, z)
	}
	return ratelimit.Merge(rl.Preset, rl.RemoveZones, zones)
}

func (zc *ZoneConfig) zone(ctx caddy.Context) (ratelimit.Zone, error) {
	rate, err := ratelimit.ParseRate(zc.Rate)
	if err != nil {
		return ratelimit.Zone{}, fmt.Errorf("zone %s: %w", zc.Name, err)
	}
	policy, err := ratelimit.ParseErrorPolicy(zc.OnStoreError)
	if err != nil {
		return ratelimit.Zone{}, fmt.Errorf("zone %s: %w", zc.Name, err)
	}
	mode, err := ratelimit.ParseMode(zc.Mode)
	if err != nil {
		return ratelimit.Zone{}, fmt.Errorf("zone %s: %w", zc.Name, err)
	}
	z := ratelimit.Zone{
		Name: zc.Name, Rate: rate, Burst: zc.Burst, Key: zc.Key,
		IPv4Prefix: zc.IPv4Prefix, IPv6Prefix: zc.IPv6Prefix,
		CountStatus: zc.CountStatus, OnStoreError: policy,
		Mode: mode, Lease: zc.Lease,
	}
	if zc.Burst < 0 {
		return z, fmt.Errorf("zone %s: burst %d is below 1", zc.Name, zc.Burst)
	}
	if zc.MatchRaw != nil {
		mods, err := ctx.LoadModule(zc, "MatchRaw")
		if err != nil {
			return z, fmt.Errorf("zone %s: loading matchers: %w", zc.Name, err)
		}
		var set caddyhttp.MatcherSets
		if err := set.FromInterface([]map[string]any{mods.(map[string]any)}); err != nil {
			return z, fmt.Errorf("zone %s: %w", zc.Name, err)
		}
		z.Match = set.AnyMatchWithError
	}
	return z, nil
}

// ServeHTTP decides the request; a refused request gets the 429 here, an
// admitted one goes on, and zones that count only some statuses are
// refunded once the response status is known.
func (rl *RateLimit) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	d, err := rl.limiter.Decide(w, r)
	if err != nil {
		return caddyhttp.Error(http.StatusInternalServerError, err)
	}
	defer d.Release()
	if d.Refusal != nil {
		modkit.RequestsRefused.WithLabelValues(modkit.RefusedByRateLimit, d.Refusal.Reason).Inc()
		rl.audit.Emit(secevent.FromRequest(r, modkit.ClientIP(r), d.Refusal.Event(modkit.RefusedByRateLimit)))
		d.Refusal.Write(w)
		return nil
	}
	for i, z := range d.Zones {
		outcome := 0 // allowed
		if !d.Allowed {
			outcome = 1
			if d.Outcomes[i].Allowed {
				continue // not this zone's refusal
			}
		}
		if c, ok := rl.counters[z.Name]; ok {
			c[outcome].Inc()
		}
	}
	if !d.Allowed {
		rl.logDenied(r, d)
		rl.audit.Emit(secevent.FromRequest(r, modkit.ClientIP(r), d.Event()))
		d.WriteDenied(w)
		return nil
	}
	if rl.limiter.AdmittedHeaders() {
		d.SetHeaders(w.Header())
	}
	if !d.NeedsStatus() {
		return next.ServeHTTP(w, r)
	}
	status, err := modkit.ForwardRecordingStatus(w, r, next)
	if ferr := rl.limiter.Finish(r.Context(), d, status); ferr != nil {
		rl.logger.Warn("rate limit refund failed", zap.Error(ferr))
	}
	return err
}

func (rl *RateLimit) logDenied(r *http.Request, d *ratelimit.Decision) {
	if c := rl.logger.Check(zapcore.InfoLevel, "rate limited"); c != nil {
		var zones []string
		for i, z := range d.Zones {
			if !d.Outcomes[i].Allowed {
				zones = append(zones, z.Name)
			}
		}
		c.Write(zap.Strings("zones", zones), zap.String("client_ip", modkit.ClientIP(r)),
			zap.String("method", r.Method), zap.String("path", r.URL.Path),
			zap.Duration("retry_after", d.RetryAfter().Round(time.Second)))
	}
}

// Cleanup releases the shared store and connections.
func (rl *RateLimit) Cleanup() error {
	rl.cleanup.Run()
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*RateLimit)(nil)
	_ caddy.CleanerUpper          = (*RateLimit)(nil)
	_ caddyhttp.MiddlewareHandler = (*RateLimit)(nil)
)
