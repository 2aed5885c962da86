// Package lockout is the account-lockout engine behind the auth guard
// (SEC-07) and its two stores. It owns the decisions: OWASP device cookies
// over a per-account untrusted budget with a lock schedule and a hard
// limit, one-use recovery cookies from password resets, per-IP spray
// control, session-keyed current-password budgets, atomic reservations so
// concurrent attempts cannot exceed a budget, the admin list and unlock,
// and the account_locked, account_unlocked and sign_in_refused events. The
// records live in a LockStore: MemoryLockStore for one instance,
// RedisLockStore (standalone or Cluster) for several. Emails and IPs are
// kept only as HMAC keys.
//
// It knows nothing of HTTP requests or the app's answers: the guard in the
// parent package reads those and calls Begin and Settle. It must not
// import Caddy, the audit log or its sinks, or pgx; it emits events only
// through a secevent.Emitter.
package lockout
