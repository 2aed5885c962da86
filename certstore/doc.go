// Package certstore is a certmagic.Storage on Redis, so that several edge
// instances share one set of certificates, ACME accounts and challenge
// tokens, and coordinate issuance through distributed locks instead of each
// placing its own ACME order.
//
// It works on any go-redis UniversalClient: standalone, Sentinel or
// Cluster. Every key of one store carries the same hash tag (the prefix in
// braces), so the store lives in a single Cluster slot and its multi-key
// transactions are legal there; certificate storage is small (a few KB per
// name), so one slot is not a capacity concern.
//
// Layout under prefix P (the hash tag is {P}):
//
//	{P}/f/<key>    hash: v value (sealed when encrypted), f format,
//	               k key id (encrypted only), n plaintext size, m modified (unix ns)
//	{P}/i          sorted set of every file key (score 0), for List and
//	               for directories, which are implied by key paths
//	{P}/l/<name>   lock: a random token, SET NX PX, refreshed while held
//
// The package does not import Caddy; caddymodule adapts it as the
// caddy.storage.ocomms_redis module.
package certstore
