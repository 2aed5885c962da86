package caddymodule

// The handler packages register their modules, directives and commands in
// their init functions; importing them here is what puts them in every
// build of caddymodule (xcaddy's --with, cmd/ocomms-caddy). Package
// auditmod is imported by app.go (the ocomms app holds its state).
import (
	_ "github.com/ocomms/ocomms-edge/caddymodule/accessmod"
	_ "github.com/ocomms/ocomms-edge/caddymodule/consolemod"
	_ "github.com/ocomms/ocomms-edge/caddymodule/guardmod"
)
