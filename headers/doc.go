// Package headers builds and applies the security-header policy of the
// OComms edge: a Content-Security-Policy with a fresh nonce per request
// (handed to the upstream on the request's Content-Security-Policy header,
// where Next.js reads it), HSTS and the rest of a modern header set, nonce
// injection into prerendered HTML, cookie hardening, removal of
// fingerprinting headers, and a CSP report endpoint.
//
// It works at the net/http level and does not import Caddy; the Caddy
// adapter lives in package caddymodule.
package headers
