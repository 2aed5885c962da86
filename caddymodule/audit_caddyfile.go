package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseAuditOption parses the audit block of the ocomms global option:
//
//	audit [off] {
//	    file        <dir>        # JSONL directory; {env.OCOMMS_AUDIT_FILE}; default <data dir>/ocomms-audit
//	    retention   <duration>   # JSONL files kept; default 90d
//	    spool       <dir>        # durable spool; default <file>/spool
//	    fsync       <duration>   # spool sync period; default 100ms
//	    signing_key <file>       # Ed25519 checkpoint key; default <file>/checkpoint.key
//	    instance    <name>       # chain name; default the host name
//	    format      ecs|ocsf     # zap log shape; default ecs
//	    postgres    <url> {      # {env.OCOMMS_POSTGRES_URL}; sslmode=verify-full off loopback
//	        insecure_allow_unverified_tls  # allow sslmode=require|verify-ca off loopback
//	        insecure_allow_plaintext       # allow any sslmode off loopback
//	        retention <duration> # partitions kept; default 90d
//	    }
//	}
func parseAuditOption(d *caddyfile.Dispenser) (*AuditConfig, error) {
	c := new(AuditConfig)
	if d.NextArg() {
		if d.Val() != "off" {
			return nil, d.Errf("audit %q: the only argument is off", d.Val())
		}
		c.Disabled = true
		if d.NextArg() {
			return nil, d.ArgErr()
		}
	}
	duration := func(dst *caddy.Duration) error {
		name, raw := d.Val(), ""
		if !d.AllArgs(&raw) {
			return d.ArgErr()
		}
		v, err := caddy.ParseDuration(raw)
		if err != nil || v <= 0 {
			return d.Errf("%s %q: want a positive duration such as 90d or 100ms", name, raw)
		}
		*dst = caddy.Duration(v)
		return nil
	}
	for n := d.Nesting(); d.NextBlock(n); {
		var err error
		switch d.Val() {
		case "file":
			if !d.AllArgs(&c.File) {
				return nil, d.ArgErr()
			}
		case "retention":
			err = duration(&c.Retention)
		case "spool":
			if !d.AllArgs(&c.Spool) {
				return nil, d.ArgErr()
			}
		case "fsync":
			err = duration(&c.Fsync)
		case "signing_key":
			if !d.AllArgs(&c.SigningKey) {
				return nil, d.ArgErr()
			}
		case "instance":
			if !d.AllArgs(&c.Instance) {
				return nil, d.ArgErr()
			}
		case "format":
			if !d.AllArgs(&c.Format) {
				return nil, d.ArgErr()
			}
			if c.Format != "ecs" && c.Format != "ocsf" {
				return nil, d.Errf("audit format %q: use ecs or ocsf", c.Format)
			}
		case "postgres":
			if c.Postgres != nil {
				return nil, d.Err("audit postgres already configured")
			}
			c.Postgres = new(AuditPostgresConfig)
			if !d.NextArg() {
				return nil, d.Err("audit postgres needs a URL, e.g. postgres {env.OCOMMS_POSTGRES_URL}")
			}
			c.Postgres.URL = d.Val()
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			for m := d.Nesting(); d.NextBlock(m); {
				switch d.Val() {
				case "insecure_allow_plaintext":
					if d.NextArg() {
						return nil, d.ArgErr()
					}
					c.Postgres.InsecureAllowPlaintext = true
				case "insecure_allow_unverified_tls":
					if d.NextArg() {
						return nil, d.ArgErr()
					}
					c.Postgres.InsecureAllowUnverifiedTLS = true
				case "retention":
					if err := duration(&c.Postgres.Retention); err != nil {
						return nil, err
					}
				default:
					return nil, d.Errf("unrecognized audit postgres option %q", d.Val())
				}
			}
		default:
			return nil, d.Errf("unrecognized audit option %q", d.Val())
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}
