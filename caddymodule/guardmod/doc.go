// Package guardmod is the auth guard's Caddy adapter: the
// ocomms_auth_guard handler and its Caddyfile block, the lockout engine's
// store (memory or the shared Redis) and two-factor guard wiring, the
// /ocomms/lockouts admin API, `caddy ocomms lockout …` and the guard's
// metrics. The engines it runs are listed by Engines for the console.
//
// It imports internal/modkit and the capability packages (authguard and
// its lockout, password and twofactor packages); it must not import
// caddymodule or the other handler packages (auditmod, accessmod,
// consolemod). Events go out through modkit's audit Emitter.
package guardmod
