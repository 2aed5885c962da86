package headers

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Policy is a compiled header policy, safe for concurrent use. Build one
// with Build; apply it per request with Begin (or Middleware).
type Policy struct {
	opts Options

	csp        template
	cspHeader  string // Content-Security-Policy or …-Report-Only
	needsNonce bool
	hsts       string
	reporting  template // Reporting-Endpoints value, empty if none
	// names are the response headers the policy sets, in order: the
	// per-request slots (slotCSP, slotHSTS, slotReporting; "" when not
	// configured), then the canonical names of opts.Set from firstField.
	names           []string
	fieldValues     []string // values of opts.Set, in the order of names[firstField:]
	removeExact     []string
	removePrefixes  []string
	reportPath      string
	reports         *ReportCollector
	lastReporting   atomic.Pointer[hostValue] // Reporting-Endpoints of the last host seen
	writers         sync.Pool                 // *ResponseWriter, see Release
	injectRefused   atomic.Uint64
	injectedReplies atomic.Uint64
}

// The per-request slots of Policy.names; bits of ResponseWriter.slots.
const (
	slotCSP = iota
	slotHSTS
	slotReporting
	firstField
)

// hostValue is a header value expanded for one host.
type hostValue struct{ host, value string }

// Build validates opts and compiles them into a Policy. collector receives
// CSP reports posted to opts.ReportPath; it may be nil, in which case a
// collector with default limits that discards violations is used.
func Build(opts Options, collector *ReportCollector) (*Policy, error) {
	if opts.Inject == "" {
		opts.Inject = InjectPrerendered
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if !opts.CSP.usesNonce() {
		// Without a nonce in the policy there is nothing to inject.
		opts.Inject = InjectOff
	}
	p := &Policy{opts: opts, reportPath: opts.ReportPath, names: make([]string, firstField, firstField+len(opts.Set))}
	if len(opts.CSP) > 0 {
		p.csp = compileTemplate(opts.CSP.String())
		p.needsNonce = opts.CSP.usesNonce()
		p.cspHeader = "Content-Security-Policy"
		if opts.CSPReportOnly {
			p.cspHeader = "Content-Security-Policy-Report-Only"
		}
		p.names[slotCSP] = p.cspHeader
	}
	if opts.HSTS != "" {
		h, err := ParseHSTS(opts.HSTS)
		if err != nil {
			return nil, err
		}
		p.hsts = h.String()
		p.names[slotHSTS] = "Strict-Transport-Security"
	}
	for _, f := range opts.Set {
		p.names = append(p.names, http.CanonicalHeaderKey(f.Name))
		p.fieldValues = append(p.fieldValues, f.Value)
	}
	for _, name := range opts.Remove {
		if prefix, ok := strings.CutSuffix(name, "*"); ok {
			if prefix == "" {
				return nil, fmt.Errorf("remove: a lone * would strip every header; name the headers to remove")
			}
			p.removePrefixes = append(p.removePrefixes, http.CanonicalHeaderKey(prefix))
			continue
		}
		p.removeExact = append(p.removeExact, http.CanonicalHeaderKey(name))
	}
	if opts.ReportPath != "" {
		p.reporting = compileTemplate(opts.ReportGroup + `="https://` + HostToken + opts.ReportPath + `"`)
		p.names[slotReporting] = "Reporting-Endpoints"
		if collector == nil {
			collector = NewReportCollector(ReportLimits{}, nil)
		}
		p.reports = collector
	}
	return p, nil
}

// Options returns a copy of the options the policy was built from.
func (p *Policy) Options() Options { return p.opts }

// IsReportRequest reports whether r is addressed to the policy's CSP report
// endpoint.
func (p *Policy) IsReportRequest(r *http.Request) bool {
	return p.reports != nil && r.URL.Path == p.reportPath
}

// Reports returns the report collector, or nil when reporting is off.
func (p *Policy) Reports() *ReportCollector { return p.reports }

// Stats are counters of what the policy did to response bodies.
type Stats struct {
	// Injected counts HTML responses that needed the nonce injected (any
	// status, identity-encoded or decoded from gzip/deflate).
	Injected uint64
	// InjectRefused counts those the edge replaced with a 502 because it
	// could not read them (an encoding it does not decode, or too large
	// once compressed): never passed on with scripts the policy blocks.
	InjectRefused uint64
}

// Stats returns the policy's counters.
func (p *Policy) Stats() Stats {
	return Stats{Injected: p.injectedReplies.Load(), InjectRefused: p.injectRefused.Load()}
}

// Begin applies the policy to one request: it makes the nonce, replaces any
// client-sent CSP request headers with the policy (so an upstream such as
// Next.js stamps the nonce on its scripts), and sets the response headers at
// once, so that error responses written later by anyone carry them. Write
// the response through the returned writer, and Close it when done: it enforces the policy again
// when the status is written (over whatever the upstream sent), strips
// fingerprinting headers, hardens cookies and injects the nonce into HTML
// that needs it. Release it after Close to let a later request reuse it.
//
// Per request Begin allocates the CSP value (the nonce is a substring of
// it) and one array behind every header value it sets. The values are not
// shared between requests: handlers after this one may rewrite a value in
// place (Caddy's header directive replaces values in the slice it finds).
func (p *Policy) Begin(w http.ResponseWriter, r *http.Request) *ResponseWriter {
	rw, _ := p.writers.Get().(*ResponseWriter)
	if rw == nil {
		rw = new(ResponseWriter)
	}
	*rw = ResponseWriter{ResponseWriter: w, policy: p, tls: r.TLS != nil}
	host := ""
	if p.csp.dynamic || p.reporting.dynamic {
		host = sanitizeHost(r.Host)
	}
	r.Header.Del("Content-Security-Policy")
	r.Header.Del("Content-Security-Policy-Report-Only")
	// One array for this request's values: the response's, then the
	// request's CSP (its own slot, so rewriting one leaves the other).
	n := len(p.names)
	vals := make([]string, n+1)
	copy(vals[firstField:], p.fieldValues)
	if p.cspHeader != "" {
		var enc [NonceLen]byte
		var nonce []byte
		if p.needsNonce {
			encodeNonce(&enc)
			nonce = enc[:]
		}
		csp, up, at := p.csp.expand(nonce, host, true)
		if at >= 0 {
			rw.nonce = csp[at : at+NonceLen]
		}
		vals[slotCSP] = csp
		rw.slots |= 1 << slotCSP
		if up != "" {
			// The upstream gets the nonce, not the policy: Next.js reads
			// only the nonce (script-src, else default-src), and the
			// rest, most of the value, is the edge's to enforce; every
			// byte of it would be copied, log-encoded and sent again by
			// reverse_proxy on every request.
			vals[n] = up
			r.Header[p.cspHeader] = vals[n : n+1 : n+1]
		}
	}
	if p.hsts != "" && rw.tls {
		vals[slotHSTS] = p.hsts
		rw.slots |= 1 << slotHSTS
	}
	if p.reports != nil && host != "" {
		vals[slotReporting] = p.reportingFor(host)
		rw.slots |= 1 << slotReporting
	}
	rw.vals = vals
	if p.needsNonce && mayBeDocument(r) {
		// A page answered here carries this request's nonce: a 304 would
		// pair a body stored with another nonce with this policy, so the
		// upstream must answer in full.
		r.Header.Del("If-None-Match")
		r.Header.Del("If-Modified-Since")
		if p.opts.Inject != InjectOff {
			// The upstream should send HTML uncompressed so the nonce can
			// be injected while streaming; Caddy's encode, which runs
			// before this handler, already chose the client's encoding and
			// compresses our output. (HTML compressed anyway is decoded.)
			r.Header.Del("Accept-Encoding")
		}
	}
	rw.enforce(w.Header(), false)
	return rw
}

// reportingFor returns the Reporting-Endpoints value for host, reusing the
// last one built when the host is the same (a site usually has one).
func (p *Policy) reportingFor(host string) string {
	if last := p.lastReporting.Load(); last != nil && last.host == host {
		return last.value
	}
	v, _, _ := p.reporting.expand(nil, host, false)
	p.lastReporting.Store(&hostValue{host: host, value: v})
	return v
}

// Middleware returns a net/http handler that serves the report endpoint and
// applies the policy to every other request before calling next.
func (p *Policy) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := p.Begin(w, r)
		// Not released: a handler may keep rw (for its Nonce) past next.
		defer rw.Close()
		if p.IsReportRequest(r) {
			p.reports.ServeHTTP(rw, r)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// mayBeDocument reports whether the answer to r may be an HTML page. A
// browser says what it fetches (Sec-Fetch-Dest); other clients are judged
// by Accept, where none, */* and text/* may all yield HTML.
func mayBeDocument(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if dest := r.Header.Get("Sec-Fetch-Dest"); dest != "" {
		return dest == "document" || dest == "iframe"
	}
	accept := r.Header.Get("Accept")
	return accept == "" || strings.Contains(accept, "text/html") || strings.Contains(accept, "*/*") || strings.Contains(accept, "text/*")
}
