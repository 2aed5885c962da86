package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	modkit.RegisterHandlerDirective[ErrorResponse]("ocomms_error")
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	ocomms_error [<status>]
//
// Without a status (in handle_errors) it answers the handled error's.
func (e *ErrorResponse) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		n, err := strconv.Atoi(d.Val())
		if err != nil || n < 400 || n > 599 {
			return d.Errf("ocomms_error %q: want an error status, 400 to 599", d.Val())
		}
		e.Status = n
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	if d.NextBlock(0) {
		return d.Errf("ocomms_error takes no block")
	}
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*ErrorResponse)(nil)
