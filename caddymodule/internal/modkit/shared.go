package modkit

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Shared is what the `ocomms` app (package caddymodule) gives every
// handler: the hash secret, the shared Redis and the audit log's Emitter.
// The handlers' packages reach it through AppFrom and AuditEmitterFor,
// never by importing the app's package (which imports them).
type Shared struct {
	// Secret keys the hashes of stored client keys; empty when unset.
	Secret []byte
	// Redis is the shared Redis; nil or not Enabled means in-memory state.
	Redis *RedisConfig
	// Emitter is the audit log's Emitter (secevent.Discard when the log
	// is off).
	Emitter secevent.Emitter
}

// SharedApp is implemented by the `ocomms` app.
type SharedApp interface {
	Shared() *Shared
}

// AppFrom returns the configured ocomms app's shared state, or an empty
// one when the config has no `ocomms` global option.
func AppFrom(ctx caddy.Context) (*Shared, error) {
	if _, err := ctx.AppIfConfigured("ocomms"); err != nil {
		return &Shared{Emitter: secevent.Discard}, nil //nolint:nilerr // not configured: embedded defaults
	}
	return sharedOf(ctx)
}

// AuditEmitterFor returns the Emitter of the config's ocomms app (which it
// instantiates when the config has no ocomms option: the audit log is on
// by default).
func AuditEmitterFor(ctx caddy.Context) (secevent.Emitter, error) {
	s, err := sharedOf(ctx)
	if err != nil {
		return nil, err
	}
	return s.Emitter, nil
}

func sharedOf(ctx caddy.Context) (*Shared, error) {
	v, err := ctx.App("ocomms")
	if err != nil {
		return nil, fmt.Errorf("loading the ocomms app: %w", err)
	}
	app, ok := v.(SharedApp)
	if !ok {
		return nil, fmt.Errorf("the ocomms app is %T", v)
	}
	return app.Shared(), nil
}

// DefaultSessionURL is where ocomms_audit and ocomms_auth_guard ask who is
// signed in when session_url is not set: OComms' own get-session on its
// default port.
const DefaultSessionURL = "http://localhost:3000/api/auth/get-session"

// EmitterOrDiscard is AuditEmitterFor where a handler would rather run
// without the audit log than fail (the guard, the allowlist, the Origin
// check): their zap lines still record every decision.
func EmitterOrDiscard(ctx caddy.Context) secevent.Emitter {
	em, err := AuditEmitterFor(ctx)
	if err != nil {
		return secevent.Discard
	}
	return em
}
