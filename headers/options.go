package headers

import (
	"fmt"
	"net/http"
	"strings"
)

// InjectMode says which HTML responses get the request's nonce injected into
// their <script> and <style> tags.
type InjectMode string

const (
	// InjectPrerendered injects into HTML the upstream marked as prerendered
	// (Next.js x-nextjs-prerender), which carries no nonce of its own.
	InjectPrerendered InjectMode = "prerendered"
	// InjectHTML injects into every HTML response.
	InjectHTML InjectMode = "html"
	// InjectOff never rewrites response bodies.
	InjectOff InjectMode = "off"
)

// Field is one response header the policy sets.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Options describe a header policy before it is compiled by Build. Presets
// return Options; callers then override fields.
type Options struct {
	// CSP is the Content-Security-Policy. It may use {nonce} as a source
	// and {hostport} inside a source (e.g. wss://{hostport}). Empty: no CSP.
	CSP CSP
	// CSPReportOnly sends the policy as Content-Security-Policy-Report-Only.
	CSPReportOnly bool
	// HSTS is the Strict-Transport-Security value, sent on HTTPS only.
	// Empty: not sent.
	HSTS string
	// Set are the other response headers, in order. They replace whatever
	// the upstream sent under the same name.
	Set []Field
	// Remove are response header names stripped from every response; a
	// trailing * matches a prefix (X-Nextjs-*).
	Remove []string
	// ReportPath is the path of the built-in CSP report endpoint. Empty:
	// no endpoint.
	ReportPath string
	// ReportGroup is the Reporting-Endpoints name report-to refers to.
	ReportGroup string
	// Inject says which HTML responses get the nonce injected.
	Inject InjectMode
	// HardenCookies adds Secure (over HTTPS) and SameSite=Lax (when absent)
	// to upstream Set-Cookie headers.
	HardenCookies bool
}

// SetHeader sets (or, with an empty value, unsets) a header in o.Set,
// keeping the order of existing fields.
func (o *Options) SetHeader(name, value string) {
	name = http.CanonicalHeaderKey(name)
	out := o.Set[:0:0]
	found := false
	for _, f := range o.Set {
		if f.Name == name {
			found = true
			if value == "" {
				continue
			}
			f.Value = value
		}
		out = append(out, f)
	}
	if !found && value != "" {
		out = append(out, Field{Name: name, Value: value})
	}
	o.Set = out
}

// Header returns the value o sets for name, or "".
func (o *Options) Header(name string) string {
	name = http.CanonicalHeaderKey(name)
	for _, f := range o.Set {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// managedByPolicy are headers the policy controls through dedicated fields,
// not through Set.
var managedByPolicy = map[string]string{
	"Content-Security-Policy":             "csp",
	"Content-Security-Policy-Report-Only": "csp with report_only",
	"Strict-Transport-Security":           "hsts",
	"Reporting-Endpoints":                 "report_path",
}

// Validate checks the options and returns an error that says what to write
// instead.
func (o *Options) Validate() error {
	var groups []string
	if o.ReportPath != "" {
		if !strings.HasPrefix(o.ReportPath, "/") {
			return fmt.Errorf("report path %q must start with /", o.ReportPath)
		}
		groups = append(groups, o.ReportGroup)
	}
	if err := o.CSP.Validate(groups...); err != nil {
		return err
	}
	if o.HSTS != "" {
		if _, err := ParseHSTS(o.HSTS); err != nil {
			return err
		}
	}
	for _, f := range o.Set {
		if what, ok := managedByPolicy[http.CanonicalHeaderKey(f.Name)]; ok {
			return fmt.Errorf("header %s is managed by the policy: configure it with %s instead of set", f.Name, what)
		}
		if strings.ContainsAny(f.Value, "\r\n") {
			return fmt.Errorf("header %s: value contains a line break", f.Name)
		}
	}
	switch o.Inject {
	case InjectPrerendered, InjectHTML, InjectOff, "":
	default:
		return fmt.Errorf("nonce injection mode %q: use prerendered, html or off", o.Inject)
	}
	return nil
}
