package consolemod

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/console"
)

func init() {
	caddy.RegisterModule(Console{})
}

// Console is the ocomms_console handler: the operator security console
// (package console) under a path prefix, off unless configured. Requests
// outside the prefix pass on untouched.
//
// Two placements: access "session" (the default) on a site path, for a
// signed-in better-auth user with an admin role, checked through the
// app's get-session endpoint, and meant to sit behind ocomms_ip_allow;
// access "local" on a site bound to a loopback address, for whoever
// reaches it through an SSH tunnel (TCP peer on loopback; no header
// counts).
type Console struct {
	// Prefix is the path the console lives under. Default: /ocomms/console.
	Prefix string `json:"prefix,omitempty"`
	// Access is "session" or "local". Default: session.
	Access string `json:"access,omitempty"`
	// SessionURL is the app's get-session endpoint, e.g.
	// http://app:3000/api/auth/get-session. Required with access session.
	SessionURL string `json:"session_url,omitempty"`
	// AdminRoles are the better-auth roles admitted. Default: admin.
	AdminRoles []string `json:"admin_roles,omitempty"`
	// Refresh is the page's reload interval. Default: 5s.
	Refresh caddy.Duration `json:"refresh,omitempty"`
	// DoctorURL is the public site the page's "Run doctor" checks (headers,
	// TLS, admin API, unlock page), connecting to 127.0.0.1. Default: the
	// console's own origin with access session; none (no doctor) with
	// access local.
	DoctorURL string `json:"doctor_url,omitempty"`
	// DoctorAdmin is Caddy's admin API address for the doctor's admin
	// checks. Default: localhost:2019.
	DoctorAdmin string `json:"doctor_admin,omitempty"`

	h *console.Handler
}

// CaddyModule returns the Caddy module information.
func (Console) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[Console]("http.handlers.ocomms_console")
}

// Provision builds the console over the running edge's lockout, audit log,
// stores and certificates.
func (c *Console) Provision(ctx caddy.Context) error {
	repl := caddy.NewReplacer()
	var auth console.Authorizer
	switch c.Access {
	case "", "session":
		a, err := console.NewSessionAuthorizer(console.SessionConfig{URL: repl.ReplaceKnown(c.SessionURL, ""), AdminRoles: c.AdminRoles})
		if err != nil {
			return fmt.Errorf("ocomms_console: %w", err)
		}
		auth = a
	case "local":
		auth = console.LoopbackAuthorizer{}
	default:
		return fmt.Errorf("ocomms_console: access %q: use session or local", c.Access)
	}
	em, err := modkit.AuditEmitterFor(ctx)
	if err != nil {
		return fmt.Errorf("ocomms_console: %w", err)
	}
	cfg := console.Config{
		Prefix: c.Prefix, Authorizer: auth, Emitter: em, ClientIP: modkit.ClientIP,
		Lockouts: consoleLockouts{}, Events: consoleEvents{}, Health: consoleHealth{}, Verifier: consoleVerifier{},
		Refresh: time.Duration(c.Refresh),
	}
	if c.DoctorURL != "" || c.Access != "local" {
		admin := c.DoctorAdmin
		if admin == "" {
			admin = "localhost:2019"
		}
		cfg.Doctor = consoleDoctor{url: c.DoctorURL, admin: admin}
	}
	h, err := console.New(cfg)
	if err != nil {
		return fmt.Errorf("ocomms_console: %w", err)
	}
	c.h = h
	return nil
}

// ServeHTTP serves the console's prefix and passes everything else on.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !c.h.Owns(r.URL.Path) {
		return next.ServeHTTP(w, r)
	}
	c.h.ServeHTTP(w, r)
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Console)(nil)
	_ caddyhttp.MiddlewareHandler = (*Console)(nil)
)
