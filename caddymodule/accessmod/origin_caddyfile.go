package accessmod

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/origin"
)

func init() {
	modkit.RegisterHandlerDirective[Origin]("ocomms_origin")
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	ocomms_origin [<matcher>] {
//	    allow              <origin...>     # besides the site's own; commas also separate
//	    socketio_path      <path>          # default /socket.io/
//	    socketio_no_origin allow|deny      # default allow (native clients)
//	    credentials        on|off          # default on
//	    max_age            <duration>      # preflight cache, at most 2h; default 10m
//	    allow_methods      <method...>
//	    allow_headers      <header...>
//	}
//
// An allow line with no arguments (an empty {$OCOMMS_ALLOWED_ORIGINS})
// adds nothing.
func (o *Origin) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if err := modkit.SettingsInBlock(d, "allow <origin...>"); err != nil {
		return err
	}
	return modkit.Subdirectives{
		"allow": allowList(&o.Allow, "allow: ", func(entry string) error {
			_, err := origin.ParseAllowed(entry)
			return err
		}),
		"socketio_path":      modkit.SetString(&o.SocketIOPath),
		"socketio_no_origin": modkit.SetOneOf(&o.SocketIONoOrigin, "allow", "deny"),
		"credentials": func(d *caddyfile.Dispenser) error {
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			switch v {
			case "on":
				o.NoCredentials = false
			case "off":
				o.NoCredentials = true
			default:
				return d.Errf("credentials %q: use on or off", v)
			}
			return nil
		},
		"max_age": func(d *caddyfile.Dispenser) error {
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(v)
			if err != nil || dur <= 0 || dur > origin.MaxMaxAge {
				return d.Errf("max_age %q: want a duration up to %s, e.g. 10m", v, origin.MaxMaxAge)
			}
			o.MaxAge = caddy.Duration(dur)
			return nil
		},
		"allow_methods": modkit.AppendStrings(&o.AllowMethods),
		"allow_headers": modkit.AppendStrings(&o.AllowHeaders),
	}.Parse(d, "unrecognized ocomms_origin subdirective %q")
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Origin)(nil)
