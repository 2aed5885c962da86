package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/ratelimit"
)

func init() {
	modkit.RegisterHandlerDirective[RateLimit]("ocomms_rate_limit")
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
	if err := modkit.OptionalArg(d, &rl.Preset); err != nil {
		return err
	}
	err := modkit.Subdirectives{
		"preset": modkit.SetString(&rl.Preset),
		"zone": func(d *caddyfile.Dispenser) error {
			zc, err := parseZone(d)
			if err != nil {
				return err
			}
			rl.Zones = append(rl.Zones, zc)
			return nil
		},
		"remove_zone":  modkit.AppendStrings(&rl.RemoveZones),
		"store":        modkit.SetOneOf(&rl.Store, "memory", "redis"),
		"max_keys":     modkit.SetInt(&rl.MaxKeys),
		"timeout":      modkit.SetPositiveDuration(&rl.Timeout, "50ms"),
		"body_timeout": modkit.SetPositiveDuration(&rl.BodyTimeout, "10s"),
		"admitted_headers": func(*caddyfile.Dispenser) error {
			rl.AdmittedHeaders = true
			return nil
		},
		"instances":     modkit.SetPositiveInt(&rl.Instances),
		"sync_interval": modkit.SetPositiveDuration(&rl.SyncInterval, "50ms"),
	}.Parse(d, "unrecognized ocomms_rate_limit subdirective %q")
	if err != nil {
		return err
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
	// checked reads a string the ratelimit package must accept.
	checked := func(dst *string, check func(string) error) modkit.ParseFunc {
		return func(d *caddyfile.Dispenser) error {
			if !d.AllArgs(dst) {
				return d.ArgErr()
			}
			if err := check(*dst); err != nil {
				return d.Errf("zone %s: %v", zc.Name, err)
			}
			return nil
		}
	}
	// atLeastOne reads a count of 1 or more.
	atLeastOne := func(dst *int64) modkit.ParseFunc {
		return func(d *caddyfile.Dispenser) error {
			name := d.Val()
			n, err := modkit.IntArg(d)
			if err != nil {
				return err
			}
			if n < 1 {
				return d.Errf("zone %s: %s %d is below 1", zc.Name, name, n)
			}
			*dst = int64(n)
			return nil
		}
	}
	err := modkit.Subdirectives{
		"match": func(d *caddyfile.Dispenser) (err error) {
			zc.MatchRaw, err = caddyhttp.ParseCaddyfileNestedMatcherSet(d)
			return err
		},
		"rate":  checked(&zc.Rate, func(v string) error { _, err := ratelimit.ParseRate(v); return err }),
		"burst": atLeastOne(&zc.Burst),
		"key": func(d *caddyfile.Dispenser) error {
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.Err("key needs a source: client_ip, header <name>, cookie <name> or body <field>")
			}
			src := ratelimit.KeySource{Kind: ratelimit.KeyKind(args[0])}
			switch {
			case src.Kind == ratelimit.KeyClientIP && len(args) == 1:
			case src.Kind != ratelimit.KeyClientIP && len(args) == 2:
				src.Name = args[1]
			default:
				return d.Errf("zone %s: key %v: use client_ip, header <name>, cookie <name> or body <field>", zc.Name, args)
			}
			zc.Key = append(zc.Key, src)
			return nil
		},
		"ipv4_prefix": modkit.SetInt(&zc.IPv4Prefix),
		"ipv6_prefix": modkit.SetInt(&zc.IPv6Prefix),
		"count_status": func(d *caddyfile.Dispenser) error {
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			for _, a := range args {
				s, err := strconv.Atoi(a)
				if err != nil || s < 100 || s > 599 {
					return d.Errf("zone %s: count_status %q is not an HTTP status", zc.Name, a)
				}
				zc.CountStatus = append(zc.CountStatus, s)
			}
			return nil
		},
		"mode":           checked(&zc.Mode, func(v string) error { _, err := ratelimit.ParseMode(v); return err }),
		"lease":          atLeastOne(&zc.Lease),
		"on_store_error": checked(&zc.OnStoreError, func(v string) error { _, err := ratelimit.ParseErrorPolicy(v); return err }),
	}.Parse(d, "unrecognized zone subdirective %q")
	if err != nil {
		return nil, err
	}
	if zc.Rate == "" {
		return nil, d.Errf("zone %s: rate is required, e.g. rate 5/1m", zc.Name)
	}
	return zc, nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*RateLimit)(nil)
