// Package adminaction recognises, at the net/http level, the requests that
// are administrative or privileged actions on the OComms app (better-auth
// admin and organization endpoints), reads the target they name from a
// bounded copy of the body, and resolves the acting user from the
// better-auth session (with a short cache). It emits a secevent.Event per
// recognised action through a secevent.Emitter.
//
// It imports secevent (and zap for its own log lines). It must not import
// the audit log, its sinks, a database driver or Caddy.
package adminaction
