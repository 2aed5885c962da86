package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/headers"
)

func init() {
	modkit.RegisterHandlerDirective[Headers]("ocomms_headers")
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
	if err := modkit.OptionalArg(d, &h.Preset); err != nil {
		return err
	}
	return modkit.Subdirectives{
		"preset": modkit.SetString(&h.Preset),
		"csp": func(d *caddyfile.Dispenser) error {
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.Err("csp needs a directive name, e.g. csp img-src 'self' data:")
			}
			h.CSP = append(h.CSP, headers.Directive{Name: args[0], Sources: args[1:]})
			return nil
		},
		"csp_remove":  modkit.AppendStrings(&h.CSPRemove),
		"report_only": modkit.SetFlag(&h.ReportOnly),
		"hsts": func(d *caddyfile.Dispenser) error {
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.Err("hsts needs a value, e.g. hsts \"max-age=31536000; includeSubDomains\", or off")
			}
			h.HSTS = joinArgs(args)
			return nil
		},
		"set": func(d *caddyfile.Dispenser) error {
			args := d.RemainingArgs()
			if len(args) < 2 {
				return d.Err("set needs a header name and a value")
			}
			h.Set = append(h.Set, headers.Field{Name: args[0], Value: joinArgs(args[1:])})
			return nil
		},
		"unset":       modkit.AppendStrings(&h.Unset),
		"remove":      modkit.AppendStrings(&h.Remove),
		"report_path": modkit.SetString(&h.ReportPath),
		"report_rate": func(d *caddyfile.Dispenser) error {
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return d.Errf("report_rate %q: want a whole number of requests per minute, at least 1", v)
			}
			h.ReportRate = n
			return nil
		},
		"inject":    modkit.SetOneOf(&h.Inject, "prerendered", "html", "off"),
		"cookies":   modkit.SetOneOf(&h.Cookies, "harden", "off"),
		"ip_claims": modkit.SetOneOf(&h.IPClaims, "strip", "keep"),
	}.Parse(d, "unrecognized ocomms_headers subdirective %q")
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
