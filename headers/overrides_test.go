package headers

import (
	"strings"
	"testing"
)

// TestOverridesOptions: overrides change the preset as stated, and
// mistakes are named.
func TestOverridesOptions(t *testing.T) {
	opts, err := Overrides{
		ReportPath: "/reports/csp",
		CSP:        []Directive{{Name: "img-src", Sources: []string{"'self'", "data:"}}},
		HSTS:       "off",
		Set:        []Field{{Name: "X-Test", Value: "1"}},
		Cookies:    "off",
	}.Options()
	if err != nil {
		t.Fatal(err)
	}
	if opts.ReportPath != "/reports/csp" {
		t.Errorf("ReportPath %q, want /reports/csp", opts.ReportPath)
	}
	if d, ok := opts.CSP.Get("report-uri"); !ok || len(d.Sources) != 1 || d.Sources[0] != "/reports/csp" {
		t.Errorf("report-uri %v, want it moved to /reports/csp", d.Sources)
	}
	if d, _ := opts.CSP.Get("img-src"); strings.Join(d.Sources, " ") != "'self' data:" {
		t.Errorf("img-src %v, want 'self' data:", d.Sources)
	}
	if opts.HSTS != "" || opts.HardenCookies {
		t.Errorf("HSTS %q, HardenCookies %v: want both off", opts.HSTS, opts.HardenCookies)
	}
	off, err := Overrides{ReportPath: "off"}.Options()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := off.CSP.Get("report-uri"); ok || off.ReportPath != "" {
		t.Errorf("report_path off left report-uri or the endpoint %q", off.ReportPath)
	}
	for _, tc := range []struct {
		o    Overrides
		want string
	}{
		{Overrides{Preset: "none", CSPRemove: []string{"img-src"}}, "csp_remove img-src: the none preset has no such directive"},
		{Overrides{Set: []Field{{Name: "X-Test"}}}, "set X-Test: empty value"},
		{Overrides{Cookies: "soft"}, `cookies "soft"`},
		{Overrides{Preset: "strict"}, "unknown headers preset"},
	} {
		if _, err := tc.o.Options(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.want)
		}
	}
}
