package caddymodule

import (
	"encoding/json"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/ocomms/ocomms-edge/caddymodule/auditmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("ocomms", parseOcommsGlobal)
}

// parseOcommsGlobal parses the `ocomms` global option:
//
//	ocomms {
//	    redis <url> {                 # redis:// or rediss://; {env.X} recommended
//	        addrs <host:port...>      # more Sentinel/Cluster nodes
//	        master_name <name>        # Sentinel
//	        cluster                   # Redis Cluster
//	        insecure_allow_plaintext  # allow redis:// off loopback
//	    }
//	    secret <value>                # {env.OCOMMS_SECRET}
//	    audit [off] { … }             # see auditmod.ParseAuditOption
//	}
func parseOcommsGlobal(d *caddyfile.Dispenser, existing any) (any, error) {
	app := new(App)
	if prev, ok := existing.(httpcaddyfile.App); ok {
		if err := json.Unmarshal(prev.Value, app); err != nil {
			return nil, err
		}
	}
	d.Next() // consume option name
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "redis":
			if app.Redis != nil {
				return nil, d.Err("redis already configured")
			}
			app.Redis = new(modkit.RedisConfig)
			if !d.NextArg() {
				return nil, d.Err("redis needs a URL, e.g. redis {env.OCOMMS_REDIS_URL}")
			}
			app.Redis.URL = d.Val()
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			for n := d.Nesting(); d.NextBlock(n); {
				switch d.Val() {
				case "addrs":
					app.Redis.Addrs = append(app.Redis.Addrs, d.RemainingArgs()...)
				case "master_name":
					if !d.AllArgs(&app.Redis.MasterName) {
						return nil, d.ArgErr()
					}
				case "cluster":
					app.Redis.Cluster = true
				case "insecure_allow_plaintext":
					app.Redis.InsecureAllowPlaintext = true
				default:
					return nil, d.Errf("unrecognized redis option %q", d.Val())
				}
			}
		case "secret":
			if !d.AllArgs(&app.Secret) {
				return nil, d.ArgErr()
			}
		case "audit":
			if app.Audit != nil {
				return nil, d.Err("audit already configured")
			}
			audit, err := auditmod.ParseAuditOption(d)
			if err != nil {
				return nil, err
			}
			app.Audit = audit
		default:
			return nil, d.Errf("unrecognized ocomms option %q", d.Val())
		}
	}
	return httpcaddyfile.App{Name: "ocomms", Value: caddyconfig.JSON(app, nil)}, nil
}
