// Command ocomms-caddy is Caddy with the OComms security edge modules built
// in: the same program `xcaddy build --with
// github.com/ocomms/ocomms-edge/caddymodule` produces.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules and the OComms edge modules.
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/ocomms/ocomms-edge/caddymodule"
)

func main() {
	caddycmd.Main()
}
