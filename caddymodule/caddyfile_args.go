package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Argument readers shared by the directives' Caddyfile parsers.

// intArg reads the one whole-number argument of the current subdirective.
func intArg(d *caddyfile.Dispenser) (int, error) {
	name := d.Val()
	var v string
	if !d.AllArgs(&v) {
		return 0, d.ArgErr()
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, d.Errf("%s %q: want a whole number", name, v)
	}
	return n, nil
}

// positiveDuration reads one positive duration argument; example is shown
// in the error.
func positiveDuration(d *caddyfile.Dispenser, example string) (caddy.Duration, error) {
	name := d.Val()
	var v string
	if !d.AllArgs(&v) {
		return 0, d.ArgErr()
	}
	dur, err := caddy.ParseDuration(v)
	if err != nil || dur <= 0 {
		return 0, d.Errf("%s %q: want a duration such as %s", name, v, example)
	}
	return caddy.Duration(dur), nil
}
