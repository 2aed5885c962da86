package auditmod

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/adminaction"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	caddy.RegisterModule(Audit{})
}

// DefaultSessionURL is where ocomms_audit asks who is acting when
// session_url is not set: OComms' own get-session on its default port.
const DefaultSessionURL = modkit.DefaultSessionURL

// Audit is the ocomms_audit handler: it records admin and privileged
// actions (better-auth organization endpoints, /api/admin/*, Next.js server
// actions on admin pages) with the acting user, the target and the outcome,
// in the ocomms app's audit log. Other requests pass untouched.
type Audit struct {
	// AdminPaths are the page paths whose Next.js server actions (POSTs
	// with a Next-Action header) are admin actions: exact paths, or
	// prefixes ending in "*"; "*" alone inside a path is one segment.
	// Default: none.
	AdminPaths []string `json:"admin_paths,omitempty"`

	// SessionURL is the app's GET /api/auth/get-session, asked with the
	// request's Cookie header (and nothing else) to name the acting user.
	// Point it at the upstream directly, not through the edge. "off" keeps
	// users out of admin events. Default: DefaultSessionURL.
	SessionURL string `json:"session_url,omitempty"`

	// SessionCache is how long a resolved session is remembered.
	// Default: 30s.
	SessionCache caddy.Duration `json:"session_cache,omitempty"`

	// SessionCacheSize bounds the session cache. Default: 10000.
	SessionCacheSize int `json:"session_cache_size,omitempty"`

	actions *adminaction.AdminActions
}

// CaddyModule returns the Caddy module information.
func (Audit) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[Audit]("http.handlers.ocomms_audit")
}

// Provision builds the recogniser and the session resolver. It opens no
// connection.
func (h *Audit) Provision(ctx caddy.Context) error {
	em, err := modkit.AuditEmitterFor(ctx)
	if err != nil {
		return fmt.Errorf("ocomms_audit: %w", err)
	}
	cfg := adminaction.AdminConfig{
		Paths:    adminaction.AdminPaths{Pages: h.AdminPaths},
		ClientIP: modkit.ClientIP,
		Emitter:  em,
	}
	url := caddy.NewReplacer().ReplaceKnown(h.SessionURL, "")
	if url == "" {
		url = DefaultSessionURL
	}
	if url != "off" {
		cfg.Sessions, err = adminaction.NewSessionResolver(adminaction.SessionConfig{
			URL:        url,
			TTL:        time.Duration(h.SessionCache),
			MaxEntries: h.SessionCacheSize,
			Logger:     ctx.Logger().Named("session"),
		})
		if err != nil {
			return fmt.Errorf("ocomms_audit: session_url: %w", err)
		}
	}
	h.actions, err = adminaction.NewAdminActions(cfg)
	if err != nil {
		return fmt.Errorf("ocomms_audit: %w", err)
	}
	return nil
}

// ServeHTTP records admin actions; everything else goes straight on.
func (h *Audit) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	p := h.actions.Begin(r)
	if p == nil {
		return next.ServeHTTP(w, r)
	}
	status, err := modkit.ForwardRecordingStatus(w, r, next)
	p.Done(status)
	return err
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Audit)(nil)
	_ caddyhttp.MiddlewareHandler = (*Audit)(nil)
)
