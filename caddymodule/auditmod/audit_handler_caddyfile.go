package auditmod

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("ocomms_audit", parseAuditCaddyfile)
}

func parseAuditCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var a Audit
	err := a.UnmarshalCaddyfile(h.Dispenser)
	return &a, err
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
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for n := d.Nesting(); d.NextBlock(n); {
		switch d.Val() {
		case "admin_paths":
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
		case "session_url":
			if h.SessionURL != "" {
				return d.Err("session_url already set")
			}
			if !d.AllArgs(&h.SessionURL) {
				return d.ArgErr()
			}
		case "session_cache":
			var raw string
			if !d.AllArgs(&raw) {
				return d.ArgErr()
			}
			v, err := caddy.ParseDuration(raw)
			if err != nil || v <= 0 {
				return d.Errf("session_cache %q: want a positive duration such as 30s", raw)
			}
			h.SessionCache = caddy.Duration(v)
		case "session_cache_size":
			var raw string
			if !d.AllArgs(&raw) {
				return d.ArgErr()
			}
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 {
				return d.Errf("session_cache_size %q: want a positive count", raw)
			}
			h.SessionCacheSize = n
		default:
			return d.Errf("unrecognized ocomms_audit option %q", d.Val())
		}
	}
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Audit)(nil)
