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
	if err := modkit.NoArgs(d); err != nil {
		return nil, err
	}
	err := modkit.Subdirectives{
		"redis": func(d *caddyfile.Dispenser) error {
			if app.Redis != nil {
				return d.Err("redis already configured")
			}
			app.Redis = new(modkit.RedisConfig)
			return parseRedisOption(d, app.Redis)
		},
		"secret": modkit.SetString(&app.Secret),
		"audit": func(d *caddyfile.Dispenser) (err error) {
			if app.Audit != nil {
				return d.Err("audit already configured")
			}
			app.Audit, err = auditmod.ParseAuditOption(d)
			return err
		},
	}.Parse(d, "unrecognized ocomms option %q")
	if err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: "ocomms", Value: caddyconfig.JSON(app, nil)}, nil
}

// parseRedisOption reads the redis block of the ocomms global option.
func parseRedisOption(d *caddyfile.Dispenser, rc *modkit.RedisConfig) error {
	if err := modkit.RequiredArg(d, &rc.URL, "redis needs a URL, e.g. redis {env.OCOMMS_REDIS_URL}"); err != nil {
		return err
	}
	return modkit.Subdirectives{
		"addrs": func(d *caddyfile.Dispenser) error {
			rc.Addrs = append(rc.Addrs, d.RemainingArgs()...)
			return nil
		},
		"master_name": modkit.SetString(&rc.MasterName),
		"cluster": func(*caddyfile.Dispenser) error {
			rc.Cluster = true
			return nil
		},
		"insecure_allow_plaintext": func(*caddyfile.Dispenser) error {
			rc.InsecureAllowPlaintext = true
			return nil
		},
	}.Parse(d, "unrecognized redis option %q")
}
