// Package authguard is the OComms edge's authentication guard in front of
// better-auth 1.4: the handler that composes the edge's auth capabilities.
// It reads auth request bodies through reqbody (exactly as better-auth's
// router, better-call, does), asks the password policy (package password)
// about new passwords, runs sign-ins through the account lockout (package
// lockout), reads the app's answers to count failures and successes, and
// reports every decision as a secevent.Event.
//
// It works at the net/http level: it must not import Caddy (the adapter
// lives in caddymodule), the audit log or its sinks, or pgx, and it emits
// events only through a secevent.Emitter.
package authguard
