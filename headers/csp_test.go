package headers

import (
	"strings"
	"testing"
)

func TestCSPValidate(t *testing.T) {
	for _, tc := range []struct {
		policy  string
		wantErr string // substring; "" means valid
	}{
		{"default-src 'none'; script-src {nonce} 'strict-dynamic'", ""},
		{"script-src 'sha256-abc=' 'strict-dynamic'", ""},
		{"scirpt-src 'self'", "unknown CSP directive \"scirpt-src\""},
		{"script-src 'self' 'strict-dynamic'", "'strict-dynamic' needs a nonce"},
		{"script-src self", "must be quoted: write 'self'"},
		{"img-src 'self'; img-src data:", "appears twice"},
		{"img-src 'none' 'self'", "'none' must stand alone"},
		{"img-src", "has no sources"},
		{"script-src 'unsafe-everything'", "unknown keyword source"},
		{"report-to csp-endpoint", "no such reporting endpoint"},
		{"upgrade-insecure-requests https:", "takes no values"},
		{"report-uri", "needs a URL"},
		{"connect-src 'self' wss://a;b", "unknown CSP directive \"b\""},
	} {
		err := ParseCSP(tc.policy).Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tc.policy, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: error %v, want one containing %q", tc.policy, err, tc.wantErr)
		}
	}
}

func TestCSPReportToWithEndpoint(t *testing.T) {
	if err := ParseCSP("report-to csp-endpoint").Validate("csp-endpoint"); err != nil {
		t.Fatalf("report-to naming a configured endpoint: %v", err)
	}
}

func TestCSPWithAndWithout(t *testing.T) {
	c := ParseCSP("default-src 'none'; img-src 'self'")
	c2 := c.With("img-src", "'self'", "data:").With("font-src", "'self'").Without("default-src")
	if got, want := c2.String(), "img-src 'self' data:; font-src 'self'"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := c.String(); got != "default-src 'none'; img-src 'self'" {
		t.Fatalf("With/Without changed the original: %q", got)
	}
}

func TestParseHSTS(t *testing.T) {
	for _, tc := range []struct {
		in, want, wantErr string
	}{
		{"max-age=31536000; includeSubDomains", "max-age=31536000; includeSubDomains", ""},
		{"max-age=63072000; includeSubDomains; preload", "max-age=63072000; includeSubDomains; preload", ""},
		{"max-age=31536000; preload", "", "preload requires includeSubDomains"},
		{"max-age=3600; includeSubDomains; preload", "", "at least 31536000"},
		{"includeSubDomains", "", "max-age is required"},
		{"max-age=abc", "", "whole number"},
		{"max-age=1; foo", "", "unknown directive"},
	} {
		h, err := ParseHSTS(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || h.String() != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, h.String(), err, tc.want)
		}
	}
}

func TestPresetsBuildAndValidate(t *testing.T) {
	for _, name := range PresetNames() {
		o := mustPreset(t, name)
		if _, err := Build(o, nil); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	if _, err := Preset("strict"); err == nil || !strings.Contains(err.Error(), "helmet") {
		t.Fatalf("unknown preset error should list the presets, got %v", err)
	}
}

func TestOcommsPresetIsStrict(t *testing.T) {
	o := mustPreset(t, "ocomms")
	script, ok := o.CSP.Get("script-src")
	if !ok {
		t.Fatal("no script-src")
	}
	joined := strings.Join(script.Sources, " ")
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "'self'", "https:"} {
		if strings.Contains(joined, bad) {
			t.Errorf("script-src contains %s", bad)
		}
	}
	if !strings.Contains(joined, NonceToken) || !strings.Contains(joined, "'strict-dynamic'") {
		t.Errorf("script-src %q lacks nonce or strict-dynamic", joined)
	}
	for _, want := range []string{"object-src 'none'", "frame-ancestors 'none'", "base-uri", "form-action", "default-src 'none'"} {
		if !strings.Contains(o.CSP.String(), want) {
			t.Errorf("CSP lacks %s", want)
		}
	}
}

func TestSetHeaderOverridesAndUnsets(t *testing.T) {
	o := mustPreset(t, "ocomms")
	o.SetHeader("x-frame-options", "SAMEORIGIN")
	o.SetHeader("Origin-Agent-Cluster", "")
	o.SetHeader("X-Custom", "1")
	if got := o.Header("X-Frame-Options"); got != "SAMEORIGIN" {
		t.Errorf("X-Frame-Options = %q", got)
	}
	if got := o.Header("Origin-Agent-Cluster"); got != "" {
		t.Errorf("unset header still set: %q", got)
	}
	if got := o.Header("X-Custom"); got != "1" {
		t.Errorf("added header = %q", got)
	}
	o.SetHeader("Content-Security-Policy", "default-src *")
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "configure it with csp") {
		t.Fatalf("setting CSP through set should be refused, got %v", err)
	}
}
