package accessmod

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/origin"
)

func init() {
	caddy.RegisterModule(Origin{})
}

// Origin is the ocomms_origin handler (SEC-11): the site's own origin
// (the request's scheme and Host as Caddy sees them) and the listed ones
// may talk to the site with cookies; a foreign Origin on /socket.io/
// (websocket or polling), or on a POST/PUT/PATCH/DELETE carrying cookies,
// gets 403 JSON before the app, with an access_denied audit event and a
// count of ocomms_access_denied_total. CORS preflights are answered here;
// Access-Control-Allow-* headers the app sets are kept only for a listed
// origin, exactly.
type Origin struct {
	// Allow lists origins allowed besides the site's own, as
	// scheme://host[:port]; an entry may hold several separated by
	// commas. "*", "null" and wildcards are refused. Default: none.
	Allow []string `json:"allow,omitempty"`

	// SocketIOPath is Socket.IO's mount point. Default: /socket.io/.
	SocketIOPath string `json:"socketio_path,omitempty"`

	// SocketIONoOrigin is what /socket.io/ requests without an Origin
	// header (native clients) get: allow or deny. Default: allow.
	SocketIONoOrigin string `json:"socketio_no_origin,omitempty"`

	// NoCredentials leaves Access-Control-Allow-Credentials out of the
	// CORS answers. Default: false (credentials, with the exact origin).
	NoCredentials bool `json:"no_credentials,omitempty"`

	// MaxAge is how long a browser may cache a preflight answer, at most
	// 2h. Default: 10m.
	MaxAge caddy.Duration `json:"max_age,omitempty"`

	// AllowMethods are the methods a preflight answer allows. Default:
	// GET, HEAD, POST, PUT, PATCH, DELETE.
	AllowMethods []string `json:"allow_methods,omitempty"`

	// AllowHeaders are the request headers a preflight answer allows.
	// Default: Content-Type, Authorization, X-Requested-With.
	AllowHeaders []string `json:"allow_headers,omitempty"`

	policy *origin.Policy
}

// CaddyModule returns the Caddy module information.
func (Origin) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[Origin]("http.handlers.ocomms_origin")
}

// Provision parses the origins and builds the policy.
func (o *Origin) Provision(ctx caddy.Context) error {
	logger := caddy.Log().Named("ocomms.origin")
	if err := modkit.RegisterCollectors(ctx.GetMetricsRegistry(), accessDenied); err != nil {
		return fmt.Errorf("ocomms_origin: registering metrics: %w", err)
	}
	cfg := origin.Config{
		Allowed:       o.Allow,
		SocketIOPath:  o.SocketIOPath,
		NoCredentials: o.NoCredentials,
		MaxAge:        time.Duration(o.MaxAge),
		AllowMethods:  o.AllowMethods,
		AllowHeaders:  o.AllowHeaders,
		ClientIP:      trustedClientAddr,
		Events:        modkit.EmitterOrDiscard(ctx),
		OnRefuse:      func(kind string) { accessDenied.WithLabelValues("origin", kind).Inc() },
		Logger:        logger,
	}
	switch o.SocketIONoOrigin {
	case "", "allow":
	case "deny":
		cfg.SocketIORequireOrigin = true
	default:
		return fmt.Errorf("ocomms_origin: socketio_no_origin %q: use allow or deny", o.SocketIONoOrigin)
	}
	p, err := origin.New(cfg)
	if err != nil {
		return fmt.Errorf("ocomms_origin: %w", err)
	}
	o.policy = p
	logger.Debug("origin policy", zap.Strings("allowed", p.Allowed()))
	return nil
}

// ServeHTTP applies the policy.
func (o *Origin) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return o.policy.Serve(w, r, next)
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Origin)(nil)
	_ caddyhttp.MiddlewareHandler = (*Origin)(nil)
)
