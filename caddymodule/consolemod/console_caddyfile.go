package consolemod

import (
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("ocomms_console", parseConsoleCaddyfile)
}

func parseConsoleCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	c := new(Console)
	err := c.UnmarshalCaddyfile(h.Dispenser)
	return c, err
}

// UnmarshalCaddyfile sets up the console from Caddyfile tokens. Syntax:
//
//	ocomms_console [<matcher>] {
//	    prefix       <path>                 # default /ocomms/console
//	    access       session|local
//	    session_url  <app get-session URL>
//	    admin_roles  <role...>
//	    refresh      <duration>
//	    doctor_url   <https://public site>
//	    doctor_admin <admin API address>
//	}
func (c *Console) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("ocomms_console takes its settings in a block: ocomms_console { prefix /ops/console }")
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "prefix":
			if !d.AllArgs(&c.Prefix) {
				return d.ArgErr()
			}
		case "access":
			if !d.AllArgs(&c.Access) {
				return d.ArgErr()
			}
			if c.Access != "session" && c.Access != "local" {
				return d.Errf("access %q: use session or local", c.Access)
			}
		case "session_url":
			if !d.AllArgs(&c.SessionURL) {
				return d.ArgErr()
			}
		case "admin_roles":
			c.AdminRoles = d.RemainingArgs()
			if len(c.AdminRoles) == 0 {
				return d.ArgErr()
			}
		case "refresh":
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(s)
			if err != nil || dur < 1e9 {
				return d.Errf("refresh %q: want a duration of 1s or more", s)
			}
			c.Refresh = caddy.Duration(dur)
		case "doctor_url":
			if !d.AllArgs(&c.DoctorURL) {
				return d.ArgErr()
			}
			if !strings.HasPrefix(c.DoctorURL, "https://") {
				return d.Errf("doctor_url %q: want the site's https:// address", c.DoctorURL)
			}
		case "doctor_admin":
			if !d.AllArgs(&c.DoctorAdmin) {
				return d.ArgErr()
			}
		default:
			return d.Errf("unknown ocomms_console option %q", d.Val())
		}
	}
	if c.Access == "local" && c.SessionURL != "" {
		return d.Err("access local takes no session_url")
	}
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Console)(nil)
