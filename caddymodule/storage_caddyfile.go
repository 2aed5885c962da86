package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile parses the storage's global option:
//
//	storage ocomms_redis [<url>] {
//	    url <url>                     # redis:// or rediss://; {env.X} recommended;
//	                                  # none: the ocomms option's redis
//	    addrs <host:port...>          # more Sentinel/Cluster nodes
//	    master_name <name>            # Sentinel
//	    cluster                       # Redis Cluster
//	    insecure_allow_plaintext      # allow redis:// off loopback
//	    prefix <prefix>               # default ocomms:certmagic
//	    encryption_key <key>          # {env.OCOMMS_STORAGE_KEY}; 32 bytes hex/base64
//	    lock_ttl <duration>           # default 15s
//	}
func (s *Storage) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume the module name
	if d.NextArg() {
		s.URL = d.Val()
		if d.NextArg() {
			return d.ArgErr()
		}
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if seen[opt] && opt != "addrs" {
			return d.Errf("%s already specified", opt)
		}
		seen[opt] = true
		switch opt {
		case "url":
			if s.URL != "" {
				return d.Err("url already given as the argument")
			}
			if !d.AllArgs(&s.URL) {
				return d.ArgErr()
			}
		case "addrs":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			s.Addrs = append(s.Addrs, args...)
		case "master_name":
			if !d.AllArgs(&s.MasterName) {
				return d.ArgErr()
			}
		case "cluster":
			if d.NextArg() {
				return d.ArgErr()
			}
			s.Cluster = true
		case "insecure_allow_plaintext":
			if d.NextArg() {
				return d.ArgErr()
			}
			s.InsecureAllowPlaintext = true
		case "prefix":
			if !d.AllArgs(&s.Prefix) {
				return d.ArgErr()
			}
		case "encryption_key":
			if !d.AllArgs(&s.EncryptionKey) {
				return d.ArgErr()
			}
		case "lock_ttl":
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(v)
			if err != nil {
				return d.Errf("lock_ttl %q: %v", v, err)
			}
			s.LockTTL = caddy.Duration(dur)
		default:
			return d.Errf("unrecognized ocomms_redis storage option %q", opt)
		}
	}
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Storage)(nil)
