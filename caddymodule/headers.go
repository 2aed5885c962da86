package caddymodule

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

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
	return caddy.ModuleInfo{
		ID:  "http.handlers.ocomms_headers",
		New: func() caddy.Module { return new(Headers) },
	}
}

// Provision builds the policy from the preset and the overrides.
func (h *Headers) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	audit, err := auditEmitterFor(ctx)
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
	collector.ClientIP = clientIP
	h.policy, err = headers.Build(opts, collector)
	if err != nil {
		return fmt.Errorf("ocomms_headers: %w", err)
	}
	return nil
}

// options translates the JSON config into headers.Options.
func (h *Headers) options() (headers.Options, error) {
	preset := h.Preset
	if preset == "" {
		preset = "ocomms"
	}
	opts, err := headers.Preset(preset)
	if err != nil {
		return opts, err
	}
	switch h.ReportPath {
	case "":
	case "off":
		opts.ReportPath = ""
		opts.CSP = opts.CSP.Without("report-uri").Without("report-to")
	default:
		opts.CSP = rewriteReportURI(opts.CSP, opts.ReportPath, h.ReportPath)
		opts.ReportPath = h.ReportPath
		if opts.ReportGroup == "" {
			opts.ReportGroup = headers.DefaultReportGroup
		}
	}
	for _, d := range h.CSP {
		sources := make([]string, len(d.Sources))
		for i, s := range d.Sources {
			sources[i] = caddyToken(s)
		}
		opts.CSP = opts.CSP.With(d.Name, sources...)
	}
	for _, name := range h.CSPRemove {
		if _, ok := opts.CSP.Get(strings.ToLower(name)); !ok {
			return opts, fmt.Errorf("csp_remove %s: the %s preset has no such directive", name, preset)
		}
		opts.CSP = opts.CSP.Without(name)
	}
	opts.CSPReportOnly = h.ReportOnly
	switch h.HSTS {
	case "":
	case "off":
		opts.HSTS = ""
	default:
		opts.HSTS = h.HSTS
	}
	for _, f := range h.Set {
		if f.Value == "" {
			return opts, fmt.Errorf("set %s: empty value; use unset to stop sending a header", f.Name)
		}
		opts.SetHeader(f.Name, caddyToken(f.Value))
	}
	for _, name := range h.Unset {
		opts.SetHeader(name, "")
	}
	opts.Remove = append(opts.Remove, h.Remove...)
	if h.Inject != "" {
		opts.Inject = headers.InjectMode(h.Inject)
	}
	switch h.Cookies {
	case "":
	case "harden":
		opts.HardenCookies = true
	case "off":
		opts.HardenCookies = false
	default:
		return opts, fmt.Errorf("cookies %q: use harden or off", h.Cookies)
	}
	return opts, nil
}

// rewriteReportURI points a report-uri that named the old endpoint path at
// the new one.
func rewriteReportURI(csp headers.CSP, oldPath, newPath string) headers.CSP {
	if d, ok := csp.Get("report-uri"); ok && len(d.Sources) == 1 && d.Sources[0] == oldPath {
		return csp.With("report-uri", newPath)
	}
	return csp
}

// caddyToken maps the Caddyfile's expansion of {hostport} back to the
// token the headers package expands per request.
func caddyToken(s string) string {
	return strings.ReplaceAll(s, "{http.request.hostport}", headers.HostToken)
}

func (h *Headers) logViolation(v headers.Violation, ip string) {
	h.audit.Emit(cspViolationEvent(v, ip))
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
	if h.IPClaims != "keep" && !fromTrustedProxy(r) {
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

// fromTrustedProxy reports whether Caddy found the request's peer in the
// server's trusted_proxies.
func fromTrustedProxy(r *http.Request) bool {
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	return trusted
}

// clientIP returns the client IP Caddy resolved with its trusted_proxies
// rules, falling back to the TCP peer.
func clientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && ip != "" {
		return ip
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Headers)(nil)
	_ caddyhttp.MiddlewareHandler = (*Headers)(nil)
)
