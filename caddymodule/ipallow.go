package caddymodule

import (
	"fmt"
	"net/http"
	"net/netip"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

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

	// ActionPages adds page patterns whose Next.js server actions (POST
	// with a Next-Action header) are administrative: "*" is one segment,
	// a trailing "*" a prefix. Default: none.
	ActionPages []string `json:"server_action_pages,omitempty"`

	// Without preset, paths and server_action_pages, every request the
	// handler sees (after its matcher) is administrative.

	guard *ipallow.Guard
}

// CaddyModule returns the Caddy module information.
func (IPAllow) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.ocomms_ip_allow",
		New: func() caddy.Module { return new(IPAllow) },
	}
}

// Provision parses the list and the rules.
func (a *IPAllow) Provision(ctx caddy.Context) error {
	logger := caddy.Log().Named("ocomms.ipallow")
	if err := registerCollectors(ctx.GetMetricsRegistry(), accessDenied); err != nil {
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
	a.guard, err = ipallow.New(ipallow.Config{
		Allow:    list,
		Rules:    rules,
		ClientIP: trustedClientAddr,
		Events:   guardEmitter(ctx),
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
