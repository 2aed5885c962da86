// Package secevent is the security event model every capability speaks:
// the Event a producer fills, the Action and Outcome vocabularies, how each
// Action is classified in ECS, the Emitter interface producers hand
// events to, and the Filter (with its text grammar, FilterText) that
// readers of events ask with: the audit log's API and CLI, and the
// console, which may not import the audit log.
//
// It sits at the bottom of the tree. It imports only the standard library
// and must never import the audit log, its sinks, Caddy or a database
// driver: the auth guard, the rate limiter and the header module emit
// through an Emitter without knowing where events go.
package secevent
