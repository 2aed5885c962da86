package demoupstream

import (
	"net/http/httptest"
	"testing"
)

func TestScriptNonceFromHeader(t *testing.T) {
	tests := []struct {
		name, csp, want string
	}{
		{"script-src nonce", "default-src 'self'; script-src 'self' 'nonce-abc123' 'strict-dynamic'", "abc123"},
		{"base64 with padding", "script-src 'nonce-q83vEjRWeJA+/w==' 'strict-dynamic'", "q83vEjRWeJA+/w=="},
		{"url-safe base64", "script-src 'nonce-q83v_jRW-JA'", "q83v_jRW-JA"},
		{"uuid", "script-src 'nonce-0b6c4f1e-7a3d-4c55-9e3b-2f1a7d9c8e01'", "0b6c4f1e-7a3d-4c55-9e3b-2f1a7d9c8e01"},
		{"first nonce wins", "script-src 'nonce-first' 'nonce-second'", "first"},
		{"default-src fallback", "default-src 'self' 'nonce-fromdefault'; style-src 'self'", "fromdefault"},
		{"script-src wins over default-src", "default-src 'nonce-fromdefault'; script-src 'nonce-fromscript'", "fromscript"},
		{"script-src without nonce does not fall back", "default-src 'nonce-fromdefault'; script-src 'self'", ""},
		{"script-src-elem is not script-src", "script-src-elem 'nonce-elem'; default-src 'self'", ""},
		{"script-src-elem ignored, default-src used", "script-src-elem 'nonce-elem'; default-src 'nonce-def'", "def"},
		{"script-src-attr ignored", "script-src-attr 'nonce-attr'", ""},
		{"whitespace around directives", "  script-src 'nonce-spaced'  ;img-src 'self'", "spaced"},
		{"malformed: html characters", `script-src 'nonce-"><script>'`, ""},
		{"malformed: too much padding", "script-src 'nonce-abc==='", ""},
		{"malformed: unquoted", "script-src nonce-abc", ""},
		{"malformed then valid", "script-src 'nonce-a<b' 'nonce-good'", "good"},
		{"empty nonce", "script-src 'nonce-'", ""},
		{"uppercase directive name is not matched", "SCRIPT-SRC 'nonce-upper'", ""},
		{"no directive", "img-src 'self'", ""},
		{"empty header", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScriptNonceFromHeader(tt.csp); got != tt.want {
				t.Errorf("ScriptNonceFromHeader(%q) = %q, want %q", tt.csp, got, tt.want)
			}
		})
	}
}

func TestRequestNonce(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string][]string
		want    string
	}{
		{"enforced header", map[string][]string{"Content-Security-Policy": {"script-src 'nonce-enf'"}}, "enf"},
		{"report-only fallback", map[string][]string{"Content-Security-Policy-Report-Only": {"script-src 'nonce-ro'"}}, "ro"},
		{"enforced preferred over report-only", map[string][]string{
			"Content-Security-Policy":             {"script-src 'nonce-enf'"},
			"Content-Security-Policy-Report-Only": {"script-src 'nonce-ro'"}}, "enf"},
		{"enforced without nonce does not fall back", map[string][]string{
			"Content-Security-Policy":             {"script-src 'self'"},
			"Content-Security-Policy-Report-Only": {"script-src 'nonce-ro'"}}, ""},
		{"repeated header lines are joined", map[string][]string{
			"Content-Security-Policy": {"img-src 'self'", "script-src 'nonce-second-line'"}}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := RequestNonce(r); got != tt.want {
				t.Errorf("RequestNonce = %q, want %q", got, tt.want)
			}
		})
	}
}
