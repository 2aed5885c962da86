// Package integration holds end-to-end tests that run the edge in an
// in-process Caddy (see internal/edgetest) against real collaborators
// running in the same test binary, such as an in-process Pebble ACME CA.
//
// Caddy keeps one running configuration per process, so these tests never
// call t.Parallel. Run them with:
//
//	go test -count=1 -p 1 ./integration/ -v
//
// Every test skips under -short.
package integration
