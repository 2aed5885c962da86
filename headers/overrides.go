package headers

import (
	"fmt"
	"strings"
)

// Overrides are a site's changes to a preset, as a configuration (the
// Caddy adapter's JSON, say) states them. Empty fields keep the preset's
// choice.
type Overrides struct {
	// Preset names the starting policy (see Preset). Default: ocomms.
	Preset string
	// ReportPath moves the CSP report endpoint (and a report-uri naming
	// it); "off" removes the endpoint, report-uri and report-to.
	ReportPath string
	// CSP sets directives, replacing the preset's of the same name.
	CSP []Directive
	// CSPRemove removes preset directives; each must exist.
	CSPRemove []string
	// ReportOnly sends the CSP as Content-Security-Policy-Report-Only.
	ReportOnly bool
	// HSTS replaces Strict-Transport-Security; "off" removes it.
	HSTS string
	// Set sets response headers; an empty value is an error (see Unset).
	Set []Field
	// Unset stops sending preset headers.
	Unset []string
	// Remove adds headers stripped from every response.
	Remove []string
	// Inject replaces the preset's nonce injection mode.
	Inject InjectMode
	// Cookies is "harden" or "off".
	Cookies string
}

// Options returns the preset's options with the overrides applied.
func (o Overrides) Options() (Options, error) {
	preset := o.Preset
	if preset == "" {
		preset = "ocomms"
	}
	opts, err := Preset(preset)
	if err != nil {
		return opts, err
	}
	switch o.ReportPath {
	case "":
	case "off":
		opts.ReportPath = ""
		opts.CSP = opts.CSP.Without("report-uri").Without("report-to")
	default:
		opts.CSP = rewriteReportURI(opts.CSP, opts.ReportPath, o.ReportPath)
		opts.ReportPath = o.ReportPath
		if opts.ReportGroup == "" {
			opts.ReportGroup = DefaultReportGroup
		}
	}
	for _, d := range o.CSP {
		opts.CSP = opts.CSP.With(d.Name, d.Sources...)
	}
	for _, name := range o.CSPRemove {
		if _, ok := opts.CSP.Get(strings.ToLower(name)); !ok {
			return opts, fmt.Errorf("csp_remove %s: the %s preset has no such directive", name, preset)
		}
		opts.CSP = opts.CSP.Without(name)
	}
	opts.CSPReportOnly = o.ReportOnly
	switch o.HSTS {
	case "":
	case "off":
		opts.HSTS = ""
	default:
		opts.HSTS = o.HSTS
	}
	for _, f := range o.Set {
		if f.Value == "" {
			return opts, fmt.Errorf("set %s: empty value; use unset to stop sending a header", f.Name)
		}
		opts.SetHeader(f.Name, f.Value)
	}
	for _, name := range o.Unset {
		opts.SetHeader(name, "")
	}
	opts.Remove = append(opts.Remove, o.Remove...)
	if o.Inject != "" {
		opts.Inject = o.Inject
	}
	switch o.Cookies {
	case "":
	case "harden":
		opts.HardenCookies = true
	case "off":
		opts.HardenCookies = false
	default:
		return opts, fmt.Errorf("cookies %q: use harden or off", o.Cookies)
	}
	return opts, nil
}

// rewriteReportURI points a report-uri that named the old endpoint path at
// the new one.
func rewriteReportURI(csp CSP, oldPath, newPath string) CSP {
	if d, ok := csp.Get("report-uri"); ok && len(d.Sources) == 1 && d.Sources[0] == oldPath {
		return csp.With("report-uri", newPath)
	}
	return csp
}
