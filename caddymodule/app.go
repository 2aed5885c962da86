package caddymodule

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/ocomms/ocomms-edge/caddymodule/auditmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the `ocomms` app: settings the edge's handlers share, above all
// the connections that let several edge instances act as one (Redis now,
// PostgreSQL for the audit log). With none configured, every handler works
// on its embedded defaults (memory, local files).
type App struct {
	// Redis is the shared Redis for rate limits and lockouts. Unset or an
	// empty URL: in-memory state.
	Redis *modkit.RedisConfig `json:"redis,omitempty"`

	// Secret keys the hashes under which client keys (emails, addresses)
	// are stored. Instances sharing Redis must share it. Use a placeholder
	// such as {env.OCOMMS_SECRET} so it stays out of the saved config.
	Secret string `json:"secret,omitempty"`

	// Audit configures the security audit log. Default: on, JSONL files
	// under Caddy's data directory plus the ocomms.audit logger.
	Audit *auditmod.AuditConfig `json:"audit,omitempty"`

	secret []byte
	audit  auditmod.State
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[App]("ocomms")
}

// Provision resolves placeholders. It opens no connection, so that
// `caddy validate` works offline.
func (a *App) Provision(ctx caddy.Context) error {
	repl := caddy.NewReplacer()
	a.secret = []byte(repl.ReplaceKnown(a.Secret, ""))
	if a.Redis != nil {
		if err := a.Redis.Provision(repl); err != nil {
			return fmt.Errorf("ocomms redis: %w", err)
		}
	}
	if err := a.audit.Provision(ctx, a.Audit, repl); err != nil {
		return fmt.Errorf("ocomms audit: %w", err)
	}
	return nil
}

// Start implements caddy.App: it opens (or takes over across a reload)
// the audit log.
func (a *App) Start() error {
	if err := a.audit.Start(); err != nil {
		return fmt.Errorf("ocomms audit: %w", err)
	}
	return nil
}

// Stop implements caddy.App: it releases the audit log (the last app
// using it flushes and closes it).
func (a *App) Stop() error {
	a.audit.Stop()
	return nil
}

// Shared gives the handlers' packages the app's secret, Redis and audit
// Emitter (see modkit.AppFrom).
func (a *App) Shared() *modkit.Shared {
	return &modkit.Shared{Secret: a.secret, Redis: a.Redis, Emitter: a.audit.Emitter()}
}

// Interface guards
var (
	_ caddy.App         = (*App)(nil)
	_ caddy.Provisioner = (*App)(nil)
	_ modkit.SharedApp  = (*App)(nil)
)
