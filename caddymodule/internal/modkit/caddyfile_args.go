package modkit

import (
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Argument readers shared by the directives' Caddyfile parsers.

// IntArg reads the one whole-number argument of the current subdirective.
func IntArg(d *caddyfile.Dispenser) (int, error) {
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

// PositiveDuration reads one positive duration argument; example is shown
// in the error.
func PositiveDuration(d *caddyfile.Dispenser, example string) (caddy.Duration, error) {
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

// PositiveIntArg reads the one whole-number argument of the current
// subdirective, which must be at least 1.
func PositiveIntArg(d *caddyfile.Dispenser) (int, error) {
	name := d.Val()
	n, err := IntArg(d)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, d.Errf("%s %d: at least 1", name, n)
	}
	return n, nil
}

// DurationsArg reads the one or more durations of the current
// subdirective; each must satisfy valid, and example is shown in the
// error.
func DurationsArg(d *caddyfile.Dispenser, valid func(time.Duration) bool, example string) ([]caddy.Duration, error) {
	name := d.Val()
	args := d.RemainingArgs()
	if len(args) == 0 {
		return nil, d.ArgErr()
	}
	out := make([]caddy.Duration, 0, len(args))
	for _, a := range args {
		dur, err := caddy.ParseDuration(a)
		if err != nil || !valid(dur) {
			return nil, d.Errf("%s %q: want durations such as %s", name, a, example)
		}
		out = append(out, caddy.Duration(dur))
	}
	return out, nil
}
