package modkit

import "github.com/caddyserver/caddy/v2"

// ModuleInfo is the Caddy module information of module T: its ID, and a
// New that returns a new *T.
func ModuleInfo[T any, PT interface {
	*T
	caddy.Module
}](id caddy.ModuleID) caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  id,
		New: func() caddy.Module { return PT(new(T)) },
	}
}
