package accessmod

import (
	"fmt"
	"net/http"
	"net/netip"
	"os"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/ipallow"
)

func init() {
	caddy.RegisterModule(IPAllow{})
}

// IPAllow is the ocomms_ip_allow handler (SEC-10): administrative
// requests from a client address outside the allowlist get 403 JSON and
// are not forwarded; one access_denied audit event and a count of
// ocomms_access_denied_total each. The client address is Caddy's
// client_ip (the server's trusted_proxies rules), never a header. Other
// requests pass untouched.
type IPAllow struct {
	// Allow lists the client networks administrative requests may come
	// from: CIDRs (10.0.0.0/8, 2001:db8::/32) or single addresses; an
	// entry may hold several separated by commas. Empty turns the handler
	// off (it then logs a warning at load). Default: empty.
	Allow []string `json:"allow,omitempty"`

	// Preset adds a named rule set of administrative requests: ocomms
	// (/api/admin/, /api/auth/admin/, and the server actions of the
	// workspace settings pages /*/settings/members* and /*/settings/admin*).
	// Default: none.
	Preset string `json:"preset,omitempty"`

	// Paths adds path prefixes that are administrative (the path and
	// everything below it). Default: none.
	Paths []string `json:"paths,omitempty"`

	// ActionPages adds page patterns whose Next.js server actions are
	// administrative: any request but GET, HEAD and OPTIONS to such a
	// page (a POST with a Next-Action header, or a form POST naming an
	// action) is refused from outside the list. "*" is one segment,
	// a trailing "*" a prefix. Default: none.
	ActionPages []string `json:"server_action_pages,omitempty"`

	// ActionManifest is the path of the running app build's
	// .next/server/server-reference-manifest.json (a volume shared with
	// the app): the ids of the server actions named ActionNames are read
	// from it at load, and a POST carrying one of them in Next-Action is
	// administrative on whatever page it is posted to. {env.*} is
	// expanded. Default: none.
	ActionManifest string `json:"server_action_manifest,omitempty"`

	// ActionNames are the exported names of the administrative server
	// actions looked up in ActionManifest. Default: OComms' (see
	// ipallow.AdminServerActions: adminUnlockUser).
	ActionNames []string `json:"server_action_names,omitempty"`

	// Without preset, paths, server_action_pages and
	// server_action_manifest, every request the handler sees (after its
	// matcher) is administrative.

	guard *ipallow.Guard
}

// CaddyModule returns the Caddy module information.
func (IPAllow) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[IPAllow]("http.handlers.ocomms_ip_allow")
}

// Provision parses the list and the rules.
func (a *IPAllow) Provision(ctx caddy.Context) error {
	logger := caddy.Log().Named("ocomms.ipallow")
	if err := modkit.RegisterCollectors(ctx.GetMetricsRegistry(), accessDenied); err != nil {
		return fmt.Errorf("ocomms_ip_allow: registering metrics: %w", err)
	}
	list, err := ipallow.ParseList(a.Allow...)
	if err != nil {
		return fmt.Errorf("ocomms_ip_allow: allow: %w", err)
	}
	rules := ipallow.Rules{Paths: a.Paths, ActionPages: a.ActionPages}
	if a.Preset != "" {
		p, err := ipallow.Preset(a.Preset)
		if err != nil {
			return fmt.Errorf("ocomms_ip_allow: %w", err)
		}
		rules = p.Merge(rules)
	}
	if a.ActionManifest != "" {
		ids, err := a.actionIDs()
		if err != nil {
			return fmt.Errorf("ocomms_ip_allow: %w", err)
		}
		if len(ids) == 0 {
			logger.Warn("no administrative server action found in the manifest", zap.Strings("names", a.actionNames()))
		}
		rules.ActionIDs = ids
	}
	a.guard, err = ipallow.New(ipallow.Config{
		Allow:    list,
		Rules:    rules,
		ClientIP: trustedClientAddr,
		Events:   modkit.EmitterOrDiscard(ctx),
		OnDeny:   func(kind string) { accessDenied.WithLabelValues("ip_allow", kind).Inc() },
		Logger:   logger,
	})
	if err != nil {
		return fmt.Errorf("ocomms_ip_allow: %w", err)
	}
	if list.Len() == 0 {
		logger.Warn("admin IP allowlist is empty: administrative requests are allowed from any address (set OCOMMS_ADMIN_ALLOW)")
	} else if every := list.Everyone(); len(every) > 0 {
		logger.Warn("admin IP allowlist lets every address in", zap.Stringers("entries", every))
	}
	return nil
}

// actionNames are the names looked up in the manifest.
func (a *IPAllow) actionNames() []string {
	if len(a.ActionNames) > 0 {
		return a.ActionNames
	}
	return ipallow.AdminActionNames()
}

// actionIDs reads the administrative action ids from the manifest.
func (a *IPAllow) actionIDs() ([]string, error) {
	path := caddy.NewReplacer().ReplaceAll(a.ActionManifest, "")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server_action_manifest: %w (point it at the app build's .next/server/server-reference-manifest.json)", err)
	}
	ids, err := ipallow.ActionIDsFromManifest(data, a.actionNames())
	if err != nil {
		return nil, fmt.Errorf("server_action_manifest %s: %w", path, err)
	}
	return ids, nil
}

// ServeHTTP refuses administrative requests from outside the list.
func (a *IPAllow) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return a.guard.Serve(w, r, next)
}

// trustedClientAddr is Caddy's client_ip variable only: the address the
// server resolved with its trusted_proxies rules. Without it (a request
// that did not come through a Caddy server), the invalid address, which
// no allowlist contains.
func trustedClientAddr(r *http.Request) netip.Addr {
	s, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// Interface guards
var (
	_ caddy.Provisioner           = (*IPAllow)(nil)
	_ caddyhttp.MiddlewareHandler = (*IPAllow)(nil)
)
