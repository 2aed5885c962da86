package consolemod

import (
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	modkit.RegisterHandlerDirective[Console]("ocomms_console")
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
	if err := modkit.SettingsInBlock(d, "prefix /ops/console"); err != nil {
		return err
	}
	err := modkit.Subdirectives{
		"prefix":      modkit.SetString(&c.Prefix),
		"access":      modkit.SetOneOf(&c.Access, "session", "local"),
		"session_url": modkit.SetString(&c.SessionURL),
		"admin_roles": func(d *caddyfile.Dispenser) error {
			c.AdminRoles = d.RemainingArgs()
			if len(c.AdminRoles) == 0 {
				return d.ArgErr()
			}
			return nil
		},
		"refresh": func(d *caddyfile.Dispenser) error {
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(s)
			if err != nil || dur < 1e9 {
				return d.Errf("refresh %q: want a duration of 1s or more", s)
			}
			c.Refresh = caddy.Duration(dur)
			return nil
		},
		"doctor_url": func(d *caddyfile.Dispenser) error {
			if !d.AllArgs(&c.DoctorURL) {
				return d.ArgErr()
			}
			if !strings.HasPrefix(c.DoctorURL, "https://") {
				return d.Errf("doctor_url %q: want the site's https:// address", c.DoctorURL)
			}
			return nil
		},
		"doctor_admin": modkit.SetString(&c.DoctorAdmin),
	}.Parse(d, "unknown ocomms_console option %q")
	if err != nil {
		return err
	}
	if c.Access == "local" && c.SessionURL != "" {
		return d.Err("access local takes no session_url")
	}
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Console)(nil)
