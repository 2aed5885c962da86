package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
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
	if err := modkit.OptionalArg(d, &s.URL); err != nil {
		return err
	}
	return modkit.Subdirectives{
		"url": func(d *caddyfile.Dispenser) error {
			if s.URL != "" {
				return d.Err("url already given as the argument")
			}
			return modkit.SetString(&s.URL)(d)
		},
		"addrs":                    modkit.AppendStrings(&s.Addrs),
		"master_name":              modkit.SetString(&s.MasterName),
		"cluster":                  modkit.SetFlag(&s.Cluster),
		"insecure_allow_plaintext": modkit.SetFlag(&s.InsecureAllowPlaintext),
		"prefix":                   modkit.SetString(&s.Prefix),
		"encryption_key":           modkit.SetString(&s.EncryptionKey),
		"lock_ttl": func(d *caddyfile.Dispenser) error {
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(v)
			if err != nil {
				return d.Errf("lock_ttl %q: %v", v, err)
			}
			s.LockTTL = caddy.Duration(dur)
			return nil
		},
	}.Once("%s already specified", "addrs").Parse(d, "unrecognized ocomms_redis storage option %q")
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Storage)(nil)
