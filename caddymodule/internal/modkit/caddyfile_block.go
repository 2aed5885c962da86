package modkit

import (
	"slices"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// RegisterHandlerDirective registers the handler directive name, whose
// handler T reads its own tokens (*T's UnmarshalCaddyfile).
func RegisterHandlerDirective[T any, PT interface {
	*T
	caddyfile.Unmarshaler
	caddyhttp.MiddlewareHandler
}](name string) {
	httpcaddyfile.RegisterHandlerDirective(name, func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		m := PT(new(T))
		err := m.UnmarshalCaddyfile(h.Dispenser)
		return m, err
	})
}

// OptionalArg consumes the directive's (or module's) name and reads its
// one optional argument into dst; a second argument is an error.
func OptionalArg(d *caddyfile.Dispenser, dst *string) error {
	d.Next() // consume the directive's name
	if d.NextArg() {
		*dst = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// NoArgs consumes the directive's (or global option's) name; it takes no
// argument.
func NoArgs(d *caddyfile.Dispenser) error {
	d.Next() // consume the directive's name
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// SettingsInBlock consumes the directive's name; the directive takes no
// argument, and the error for one shows the block, usage inside it.
func SettingsInBlock(d *caddyfile.Dispenser, usage string) error {
	d.Next() // consume the directive's name
	if name := d.Val(); d.NextArg() {
		return d.Errf("%s takes its settings in a block: %s { %s }", name, name, usage)
	}
	return nil
}

// Subdirectives is a directive's block as a table: each name the block
// accepts, and the function that reads that subdirective. The function is
// called with the dispenser on the subdirective's name and reads the rest
// of its line (and any block of its own).
type Subdirectives map[string]ParseFunc

// ParseFunc reads one subdirective, the dispenser on its name.
type ParseFunc func(d *caddyfile.Dispenser) error

// Parse reads the block that opens after the current token, each
// subdirective with its entry in s. A name s lacks is an error formatted
// by unknown, whose one verb (%q) is the name.
func (s Subdirectives) Parse(d *caddyfile.Dispenser, unknown string) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		parse, ok := s[d.Val()]
		if !ok {
			return d.Errf(unknown, d.Val())
		}
		if err := parse(d); err != nil {
			return err
		}
	}
	return nil
}

// Once returns s where a subdirective given a second time in the block is
// an error formatted by twice, whose one verb (%s) is the name; the names
// in repeatable may be given any number of times. The table it returns
// remembers the names it has read: build it for each block.
func (s Subdirectives) Once(twice string, repeatable ...string) Subdirectives {
	seen := map[string]bool{}
	out := make(Subdirectives, len(s))
	for name, parse := range s {
		if slices.Contains(repeatable, name) {
			out[name] = parse
			continue
		}
		out[name] = func(d *caddyfile.Dispenser) error {
			if seen[name] {
				return d.Errf(twice, name)
			}
			seen[name] = true
			return parse(d)
		}
	}
	return out
}
