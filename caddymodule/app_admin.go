package caddymodule

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	caddy.RegisterModule(InstanceAdmin{})
}

// InstanceAdmin serves GET /ocomms/instance on Caddy's admin listener.
type InstanceAdmin struct{}

// CaddyModule returns the Caddy module information.
func (InstanceAdmin) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[InstanceAdmin]("admin.api.ocomms_instance")
}

// Routes returns the admin routes.
func (InstanceAdmin) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: modkit.InstancePath, Handler: modkit.WithInstance(serveInstance)}}
}

func serveInstance(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return modkit.MethodNotAllowed(w, http.MethodGet)
	}
	return modkit.WriteAdminJSON(w, modkit.ThisInstance)
}

// Interface guard
var _ caddy.AdminRouter = InstanceAdmin{}
