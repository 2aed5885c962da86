package accessmod

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/origin"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("ocomms_origin", parseOriginCaddyfile)
}

func parseOriginCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var m Origin
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return &m, err
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
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("ocomms_origin takes its settings in a block: ocomms_origin { allow <origin...> }")
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "allow":
			for _, entry := range splitList(d.RemainingArgs()) {
				if _, err := origin.ParseAllowed(entry); err != nil {
					return d.Errf("allow: %v", err)
				}
				o.Allow = append(o.Allow, entry)
			}
		case "socketio_path":
			if !d.AllArgs(&o.SocketIOPath) {
				return d.ArgErr()
			}
		case "socketio_no_origin":
			if !d.AllArgs(&o.SocketIONoOrigin) {
				return d.ArgErr()
			}
			if o.SocketIONoOrigin != "allow" && o.SocketIONoOrigin != "deny" {
				return d.Errf("socketio_no_origin %q: use allow or deny", o.SocketIONoOrigin)
			}
		case "credentials":
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
		case "max_age":
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(v)
			if err != nil || dur <= 0 || dur > origin.MaxMaxAge {
				return d.Errf("max_age %q: want a duration up to %s, e.g. 10m", v, origin.MaxMaxAge)
			}
			o.MaxAge = caddy.Duration(dur)
		case "allow_methods":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			o.AllowMethods = append(o.AllowMethods, args...)
		case "allow_headers":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			o.AllowHeaders = append(o.AllowHeaders, args...)
		default:
			return d.Errf("unrecognized ocomms_origin subdirective %q", d.Val())
		}
	}
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Origin)(nil)
