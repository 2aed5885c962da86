// Package testsupport is the one place for what tests of the capability
// packages share: handles on the real Redis and PostgreSQL (or a clear skip,
// a failure under OCOMMS_REQUIRE_SERVICES=1), a settable clock, an
// event recorder, a buffer safe for concurrent writers, a
// ResponseWriter that discards, stalled peers (a listener that never
// answers, a client that stops mid-body), TOTP codes and the cookie a
// response leaves.
//
// It must not import Caddy or any package of this module other than
// secevent: a capability's tests link exactly what the capability links,
// plus this. The Caddy-backed harness (an in-process Caddy from a
// Caddyfile) is internal/edgetest, for caddymodule/ and integration/.
package testsupport
