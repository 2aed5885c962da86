package modkit

import (
	"slices"
	"strconv"
	"strings"
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

// RequiredArg reads the subdirective's one argument into dst; without
// one, the error is missing.
func RequiredArg(d *caddyfile.Dispenser, dst *string, missing string) error {
	if !d.NextArg() {
		return d.Err(missing)
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// Readers for a Subdirectives table: each reads the current
// subdirective's arguments into a field.

// SetString reads the subdirective's one argument into dst.
func SetString(dst *string) ParseFunc {
	return func(d *caddyfile.Dispenser) error {
		if !d.AllArgs(dst) {
			return d.ArgErr()
		}
		return nil
	}
}

// SetOneOf reads the subdirective's one argument into dst; it must be one
// of values.
func SetOneOf(dst *string, values ...string) ParseFunc {
	return func(d *caddyfile.Dispenser) error {
		name := d.Val()
		if !d.AllArgs(dst) {
			return d.ArgErr()
		}
		if !slices.Contains(values, *dst) {
			return d.Errf("%s %q: use %s", name, *dst, orList(values))
		}
		return nil
	}
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// AppendStrings appends the subdirective's one or more arguments to dst.
func AppendStrings(dst *[]string) ParseFunc {
	return func(d *caddyfile.Dispenser) error {
		args := d.RemainingArgs()
		if len(args) == 0 {
			return d.ArgErr()
		}
		*dst = append(*dst, args...)
		return nil
	}
}

// SetFlag sets dst for a subdirective that takes no argument.
func SetFlag(dst *bool) ParseFunc {
	return func(d *caddyfile.Dispenser) error {
		if d.NextArg() {
			return d.ArgErr()
		}
		*dst = true
		return nil
	}
}

// SetInt reads the subdirective's one whole number into dst (IntArg).
func SetInt(dst *int) ParseFunc {
	return func(d *caddyfile.Dispenser) (err error) {
		*dst, err = IntArg(d)
		return err
	}
}

// SetPositiveInt reads the subdirective's one whole number, at least 1,
// into dst (PositiveIntArg).
func SetPositiveInt(dst *int) ParseFunc {
	return func(d *caddyfile.Dispenser) (err error) {
		*dst, err = PositiveIntArg(d)
		return err
	}
}

// SetPositiveDuration reads the subdirective's one positive duration into
// dst (PositiveDuration); example is shown in the error.
func SetPositiveDuration(dst *caddy.Duration, example string) ParseFunc {
	return func(d *caddyfile.Dispenser) (err error) {
		*dst, err = PositiveDuration(d, example)
		return err
	}
}
