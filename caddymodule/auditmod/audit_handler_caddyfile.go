package auditmod

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	modkit.RegisterHandlerDirective[Audit]("ocomms_audit")
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	ocomms_audit {
//	    admin_paths        <path...>   # pages whose server actions are admin actions
//	    session_url        <url>|off   # default http://localhost:3000/api/auth/get-session
//	    session_cache      <duration>  # default 30s
//	    session_cache_size <n>         # default 10000
//	}
func (h *Audit) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if err := modkit.NoArgs(d); err != nil {
		return err
	}
	return modkit.Subdirectives{
		"admin_paths": func(d *caddyfile.Dispenser) error {
			paths := d.RemainingArgs()
			if len(paths) == 0 {
				return d.ArgErr()
			}
			for _, p := range paths {
				if p == "" || p[0] != '/' {
					return d.Errf("admin_paths %q: a path starts with /", p)
				}
			}
			h.AdminPaths = append(h.AdminPaths, paths...)
			return nil
		},
		"session_url": func(d *caddyfile.Dispenser) error {
			if h.SessionURL != "" {
				return d.Err("session_url already set")
			}
			return modkit.SetString(&h.SessionURL)(d)
		},
		"session_cache": func(d *caddyfile.Dispenser) error {
			var raw string
			if !d.AllArgs(&raw) {
				return d.ArgErr()
			}
			v, err := caddy.ParseDuration(raw)
			if err != nil || v <= 0 {
				return d.Errf("session_cache %q: want a positive duration such as 30s", raw)
			}
			h.SessionCache = caddy.Duration(v)
			return nil
		},
		"session_cache_size": func(d *caddyfile.Dispenser) error {
			var raw string
			if !d.AllArgs(&raw) {
				return d.ArgErr()
			}
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 {
				return d.Errf("session_cache_size %q: want a positive count", raw)
			}
			h.SessionCacheSize = n
			return nil
		},
	}.Parse(d, "unrecognized ocomms_audit option %q")
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Audit)(nil)
