package caddymodule

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/headers"
	"github.com/ocomms/ocomms-edge/secevent"
)

func init() {
	caddy.RegisterModule(Headers{})
}

// Headers is the ocomms_headers handler: it sets the site's security-header
// policy (CSP with a per-request nonce, HSTS, frame, referrer, permissions
// and cross-origin policies) on every response, including error responses
// written by handlers after it, hands the nonce to the upstream on the
// request's Content-Security-Policy header, injects it into prerendered
// HTML, hardens cookies, strips fingerprinting headers and serves the CSP
// report endpoint.
type Headers struct {
	// Preset is the starting policy: ocomms, helmet, owasp or none.
	// Default: ocomms.
	Preset string `json:"preset,omitempty"`

	// CSP sets CSP directives, replacing the preset's directive of the same
	// name or adding it. Sources may use {nonce} (this request's nonce)
	// and {hostport} (the request's host and port, e.g. wss://{hostport}).
	CSP []headers.Directive `json:"csp,omitempty"`

	// CSPRemove removes directives from the preset's CSP.
	CSPRemove []string `json:"csp_remove,omitempty"`

	// ReportOnly sends the CSP as Content-Security-Policy-Report-Only, to
	// try a policy before enforcing it. Default: false.
	ReportOnly bool `json:"report_only,omitempty"`

	// HSTS replaces the Strict-Transport-Security value; "off" removes it.
	// With preload, includeSubDomains and max-age of a year or more are
	// required. Default (ocomms): max-age=31536000; includeSubDomains.
	HSTS string `json:"hsts,omitempty"`

	// Set sets other response headers, replacing upstream values.
	Set []headers.Field `json:"set,omitempty"`

	// Unset names preset headers not to send.
	Unset []string `json:"unset,omitempty"`

	// Remove names response headers stripped from every response, in
	// addition to the preset's (Server, X-Powered-By, X-Nextjs-*). A
	// trailing * matches a prefix.
	Remove []string `json:"remove,omitempty"`

	// ReportPath is the path of the built-in CSP report endpoint; "off"
	// disables it. Default: /csp-report.
	ReportPath string `json:"report_path,omitempty"`

	// ReportRate is how many report requests one client IP may send per
	// minute. Default: 30.
	ReportRate int `json:"report_rate,omitempty"`

	// Inject selects which HTML responses get the nonce injected into
	// their script, style and link tags, whatever their status (a 404
	// not-found page, a 500): prerendered (Next.js marks them with
	// x-nextjs-prerender), html (all HTML) or off. Default: prerendered.
	// Compressed HTML is decoded (gzip, deflate) or refused with a 502.
	Inject string `json:"inject,omitempty"`

	// Cookies is "harden" to add Secure and SameSite=Lax to upstream
	// cookies that lack them, or "off". Default (ocomms): harden.
	Cookies string `json:"cookies,omitempty"`

	// IPClaims is what happens to request headers that claim a client
	// address (Forwarded, X-Real-IP, True-Client-IP, CF-Connecting-IP,
	// X-Client-IP, X-Cluster-Client-IP, Fastly-Client-IP,
	// X-Original-Forwarded-For and others; headers.IPClaimHeaders) on
	// requests that did not come from one of the server's
	// trusted_proxies: "strip" deletes them before the app sees them,
	// "keep" passes them on. X-Forwarded-For is reverse_proxy's to
	// replace. Default: strip.
	IPClaims string `json:"ip_claims,omitempty"`

	policy *headers.Policy
	logger *zap.Logger
	audit  secevent.Emitter
}

// CaddyModule returns the Caddy module information.
func (Headers) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[Headers]("http.handlers.ocomms_headers")
}

// Provision builds the policy from the preset and the overrides.
func (h *Headers) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	audit, err := modkit.AuditEmitterFor(ctx)
	if err != nil {
		return fmt.Errorf("ocomms_headers: %w", err)
	}
	h.audit = audit
	switch h.IPClaims {
	case "", "strip", "keep":
	default:
		return fmt.Errorf("ocomms_headers: ip_claims %q: use strip or keep", h.IPClaims)
	}
	opts, err := h.options()
	if err != nil {
		return fmt.Errorf("ocomms_headers: %w", err)
	}
	collector := headers.NewReportCollector(headers.ReportLimits{PerClient: h.ReportRate}, h.logViolation)
	collector.ClientIP = modkit.ClientIP
	h.policy, err = headers.Build(opts, collector)
	if err != nil {
		return fmt.Errorf("ocomms_headers: %w", err)
	}
	return nil
}

// options translates the JSON config into headers.Options: the
// Caddyfile's {hostport} back to the package's token, the rest as it is.
func (h *Headers) options() (headers.Options, error) {
	csp := make([]headers.Directive, len(h.CSP))
	for i, d := range h.CSP {
		sources := make([]string, len(d.Sources))
		for j, s := range d.Sources {
			sources[j] = caddyToken(s)
		}
		csp[i] = headers.Directive{Name: d.Name, Sources: sources}
	}
	set := make([]headers.Field, len(h.Set))
	for i, f := range h.Set {
		set[i] = headers.Field{Name: f.Name, Value: caddyToken(f.Value)}
	}
	return headers.Overrides{
		Preset:     h.Preset,
		ReportPath: h.ReportPath,
		CSP:        csp,
		CSPRemove:  h.CSPRemove,
		ReportOnly: h.ReportOnly,
		HSTS:       h.HSTS,
		Set:        set,
		Unset:      h.Unset,
		Remove:     h.Remove,
		Inject:     headers.InjectMode(h.Inject),
		Cookies:    h.Cookies,
	}.Options()
}

// caddyToken maps the Caddyfile's expansion of {hostport} back to the
// token the headers package expands per request.
func caddyToken(s string) string {
	return strings.ReplaceAll(s, "{http.request.hostport}", headers.HostToken)
}

func (h *Headers) logViolation(v headers.Violation, ip string) {
	h.audit.Emit(v.Event(ip))
	if c := h.logger.Check(zap.WarnLevel, "csp violation"); c != nil {
		c.Write(
			zap.String("client_ip", ip),
			zap.String("document_url", v.DocumentURL),
			zap.String("effective_directive", v.EffectiveDirective),
			zap.String("blocked_url", v.BlockedURL),
			zap.String("source_file", v.SourceFile),
			zap.Int("line", v.Line),
			zap.Int("column", v.Column),
			zap.String("disposition", v.Disposition),
			zap.String("sample", v.Sample),
		)
	}
}

// ServeHTTP applies the policy and serves the CSP report endpoint.
func (h *Headers) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if h.IPClaims != "keep" && !modkit.FromTrustedProxy(r) {
		headers.StripIPClaims(r.Header)
	}
	rw := h.policy.Begin(w, r)
	defer rw.Release() // after Close; nothing below keeps rw once next returns
	defer rw.Close()
	if h.policy.IsReportRequest(r) {
		h.policy.Reports().ServeHTTP(rw, r)
		return nil
	}
	return next.ServeHTTP(rw, r)
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Headers)(nil)
	_ caddyhttp.MiddlewareHandler = (*Headers)(nil)
)
