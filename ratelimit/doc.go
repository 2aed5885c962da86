// Package ratelimit is the OComms edge's rate limiter: named zones, each a
// GCRA limit on a key built from the request (client IP grouped by prefix,
// a header, a cookie or a field of the body), decided together for one
// request against a memory or Redis store, with all-or-nothing charging,
// refunds for responses a zone does not count, IETF RateLimit headers and
// a JSON 429 the OComms UI can show.
//
// It works at the net/http level and does not import Caddy.
package ratelimit
