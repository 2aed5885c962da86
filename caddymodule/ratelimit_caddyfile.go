package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/ratelimit"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("ocomms_rate_limit", parseRateLimitCaddyfile)
}

func parseRateLimitCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var rl RateLimit
	err := rl.UnmarshalCaddyfile(h.Dispenser)
	return &rl, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	ocomms_rate_limit [<preset>] {
//	    preset       ocomms|none
//	    zone <name> {
//	        match { <request matchers> }      # default: every request
//	        rate           <count>/<period>   # 5/1m, 3/15m, 100/s
//	        burst          <n>                # default: count
//	        key            client_ip | header <name> | cookie <name> | body <field>
//	        ipv4_prefix    <bits>             # default 32
//	        ipv6_prefix    <bits>             # default 64
//	        count_status   <status...>        # count only these responses
//	        on_store_error local|allow|deny   # default local
//	        mode           exact|approximate  # default exact
//	        lease          <n>                # approximate: credit per key and instance; default burst/20
//	    }
//	    remove_zone  <name>
//	    store        memory|redis             # default: redis if configured
//	    max_keys     <n>                      # default 1000000
//	    timeout      <duration>               # default 50ms
//	    body_timeout <duration>               # body-keyed zones; default 10s, then 408
//	    admitted_headers
//	    instances    <n>                      # instances sharing Redis; default 1
//	    sync_interval <duration>              # approximate zones' batches; default 50ms
//	}
//
// The adapter writes overshoot_bound: for each approximate zone (preset
// or configured), instances × lease, the most it may admit beyond its
// limit across the instances.
func (rl *RateLimit) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		rl.Preset = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "preset":
			if !d.AllArgs(&rl.Preset) {
				return d.ArgErr()
			}
		case "zone":
			zc, err := parseZone(d)
			if err != nil {
				return err
			}
			rl.Zones = append(rl.Zones, zc)
		case "remove_zone":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			rl.RemoveZones = append(rl.RemoveZones, args...)
		case "store":
			if !d.AllArgs(&rl.Store) {
				return d.ArgErr()
			}
			if rl.Store != "memory" && rl.Store != "redis" {
				return d.Errf("store %q: use memory or redis", rl.Store)
			}
		case "max_keys":
			n, err := modkit.IntArg(d)
			if err != nil {
				return err
			}
			rl.MaxKeys = n
		case "timeout":
			dur, err := modkit.PositiveDuration(d, "50ms")
			if err != nil {
				return err
			}
			rl.Timeout = dur
		case "body_timeout":
			dur, err := modkit.PositiveDuration(d, "10s")
			if err != nil {
				return err
			}
			rl.BodyTimeout = dur
		case "admitted_headers":
			rl.AdmittedHeaders = true
		case "instances":
			n, err := modkit.PositiveIntArg(d)
			if err != nil {
				return err
			}
			rl.Instances = n
		case "sync_interval":
			dur, err := modkit.PositiveDuration(d, "50ms")
			if err != nil {
				return err
			}
			rl.SyncInterval = dur
		default:
			return d.Errf("unrecognized ocomms_rate_limit subdirective %q", d.Val())
		}
	}
	bounds, err := rl.overshootBounds()
	if err != nil {
		return d.Err(err.Error())
	}
	rl.OvershootBound = bounds
	return nil
}

// overshootBounds computes each approximate zone's overshoot bound from
// the preset and the configured zones, for the adapted JSON.
func (rl *RateLimit) overshootBounds() (map[string]int64, error) {
	zones, err := ratelimit.Preset(rl.Preset) // "" is ocomms
	if err != nil {
		return nil, err
	}
	byName := map[string]ratelimit.Zone{}
	for _, z := range zones {
		byName[z.Name] = z
	}
	for _, name := range rl.RemoveZones {
		delete(byName, name)
	}
	for _, zc := range rl.Zones {
		mode, _ := ratelimit.ParseMode(zc.Mode)
		rate, _ := ratelimit.ParseRate(zc.Rate)
		byName[zc.Name] = ratelimit.Zone{Name: zc.Name, Rate: rate, Burst: zc.Burst, Mode: mode, Lease: zc.Lease}
	}
	bounds := map[string]int64{}
	for name, z := range byName {
		if b := z.OvershootBound(rl.Instances); b > 0 {
			bounds[name] = b
		}
	}
	if len(bounds) == 0 {
		return nil, nil
	}
	return bounds, nil
}

func parseZone(d *caddyfile.Dispenser) (*ZoneConfig, error) {
	zc := &ZoneConfig{}
	if !d.AllArgs(&zc.Name) {
		return nil, d.Err("zone needs a name: zone <name> { … }")
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "match":
			set, err := caddyhttp.ParseCaddyfileNestedMatcherSet(d)
			if err != nil {
				return nil, err
			}
			zc.MatchRaw = set
		case "rate":
			if !d.AllArgs(&zc.Rate) {
				return nil, d.ArgErr()
			}
			if _, err := ratelimit.ParseRate(zc.Rate); err != nil {
				return nil, d.Errf("zone %s: %v", zc.Name, err)
			}
		case "burst":
			n, err := modkit.IntArg(d)
			if err != nil {
				return nil, err
			}
			if n < 1 {
				return nil, d.Errf("zone %s: burst %d is below 1", zc.Name, n)
			}
			zc.Burst = int64(n)
		case "key":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return nil, d.Err("key needs a source: client_ip, header <name>, cookie <name> or body <field>")
			}
			src := ratelimit.KeySource{Kind: ratelimit.KeyKind(args[0])}
			switch {
			case src.Kind == ratelimit.KeyClientIP && len(args) == 1:
			case src.Kind != ratelimit.KeyClientIP && len(args) == 2:
				src.Name = args[1]
			default:
				return nil, d.Errf("zone %s: key %v: use client_ip, header <name>, cookie <name> or body <field>", zc.Name, args)
			}
			zc.Key = append(zc.Key, src)
		case "ipv4_prefix":
			n, err := modkit.IntArg(d)
			if err != nil {
				return nil, err
			}
			zc.IPv4Prefix = n
		case "ipv6_prefix":
			n, err := modkit.IntArg(d)
			if err != nil {
				return nil, err
			}
			zc.IPv6Prefix = n
		case "count_status":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return nil, d.ArgErr()
			}
			for _, a := range args {
				s, err := strconv.Atoi(a)
				if err != nil || s < 100 || s > 599 {
					return nil, d.Errf("zone %s: count_status %q is not an HTTP status", zc.Name, a)
				}
				zc.CountStatus = append(zc.CountStatus, s)
			}
		case "mode":
			if !d.AllArgs(&zc.Mode) {
				return nil, d.ArgErr()
			}
			if _, err := ratelimit.ParseMode(zc.Mode); err != nil {
				return nil, d.Errf("zone %s: %v", zc.Name, err)
			}
		case "lease":
			n, err := modkit.IntArg(d)
			if err != nil {
				return nil, err
			}
			if n < 1 {
				return nil, d.Errf("zone %s: lease %d is below 1", zc.Name, n)
			}
			zc.Lease = int64(n)
		case "on_store_error":
			if !d.AllArgs(&zc.OnStoreError) {
				return nil, d.ArgErr()
			}
			if _, err := ratelimit.ParseErrorPolicy(zc.OnStoreError); err != nil {
				return nil, d.Errf("zone %s: %v", zc.Name, err)
			}
		default:
			return nil, d.Errf("unrecognized zone subdirective %q", d.Val())
		}
	}
	if zc.Rate == "" {
		return nil, d.Errf("zone %s: rate is required, e.g. rate 5/1m", zc.Name)
	}
	return zc, nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*RateLimit)(nil)
