// Package modtest is the test harness of caddymodule and its packages: the
// global options of a test edge, starting one (through internal/edgetest),
// an upstream to put behind it, requests, refused configurations, the
// admin API's metrics and running a `caddy ocomms` subcommand; and Main,
// which keeps Caddy's data directory out of the home directory.
//
// It must not import caddymodule or its handler packages (their own tests
// import it); a test that starts Caddy blank-imports caddymodule so that
// every module is registered. Only tests import it.
package modtest
