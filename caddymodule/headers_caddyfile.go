package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/headers"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("ocomms_headers", parseHeadersCaddyfile)
}

func parseHeadersCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var m Headers
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return &m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	ocomms_headers [<preset>] {
//	    preset       ocomms|helmet|owasp|none
//	    csp          <directive> [<sources...>]   # {nonce}, wss://{hostport}
//	    csp_remove   <directive>
//	    report_only
//	    hsts         <value>|off
//	    set          <header> <value>
//	    unset        <header>
//	    remove       <header|prefix*>
//	    report_path  <path>|off
//	    report_rate  <requests per minute per client>
//	    inject       prerendered|html|off
//	    cookies      harden|off
//	    ip_claims    strip|keep                    # client IP headers from untrusted peers
//	}
func (h *Headers) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		h.Preset = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "preset":
			if !d.AllArgs(&h.Preset) {
				return d.ArgErr()
			}
		case "csp":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.Err("csp needs a directive name, e.g. csp img-src 'self' data:")
			}
			h.CSP = append(h.CSP, headers.Directive{Name: args[0], Sources: args[1:]})
		case "csp_remove":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.CSPRemove = append(h.CSPRemove, args...)
		case "report_only":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.ReportOnly = true
		case "hsts":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.Err("hsts needs a value, e.g. hsts \"max-age=31536000; includeSubDomains\", or off")
			}
			h.HSTS = joinArgs(args)
		case "set":
			args := d.RemainingArgs()
			if len(args) < 2 {
				return d.Err("set needs a header name and a value")
			}
			h.Set = append(h.Set, headers.Field{Name: args[0], Value: joinArgs(args[1:])})
		case "unset":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.Unset = append(h.Unset, args...)
		case "remove":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.Remove = append(h.Remove, args...)
		case "report_path":
			if !d.AllArgs(&h.ReportPath) {
				return d.ArgErr()
			}
		case "report_rate":
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return d.Errf("report_rate %q: want a whole number of requests per minute, at least 1", v)
			}
			h.ReportRate = n
		case "inject":
			if !d.AllArgs(&h.Inject) {
				return d.ArgErr()
			}
			switch h.Inject {
			case "prerendered", "html", "off":
			default:
				return d.Errf("inject %q: use prerendered, html or off", h.Inject)
			}
		case "cookies":
			if !d.AllArgs(&h.Cookies) {
				return d.ArgErr()
			}
			if h.Cookies != "harden" && h.Cookies != "off" {
				return d.Errf("cookies %q: use harden or off", h.Cookies)
			}
		case "ip_claims":
			if !d.AllArgs(&h.IPClaims) {
				return d.ArgErr()
			}
			if h.IPClaims != "strip" && h.IPClaims != "keep" {
				return d.Errf("ip_claims %q: use strip or keep", h.IPClaims)
			}
		default:
			return d.Errf("unrecognized ocomms_headers subdirective %q", d.Val())
		}
	}
	return nil
}

func joinArgs(args []string) string {
	out := args[0]
	for _, a := range args[1:] {
		out += " " + a
	}
	return out
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Headers)(nil)
