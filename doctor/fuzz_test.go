package doctor

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzEvaluateHeaders feeds arbitrary header values (what a server under
// check sends) to the header checks: no panic, and a result that is not
// a pass always has a fix.
func FuzzEvaluateHeaders(f *testing.F) {
	f.Add("default-src 'none'; script-src 'nonce-a' 'strict-dynamic'", "max-age=31536000", "DENY", "strict-origin")
	f.Add("script-src * 'unsafe-eval', img-src 'self'", `max-age="1"; max-age=2`, "", "unsafe-url,,")
	f.Add(";;;,,", "max-age=", "sameorigin", "")
	f.Fuzz(func(t *testing.T, csp, hsts, xfo, ref string) {
		h := http.Header{}
		h.Set("Content-Security-Policy", csp)
		h.Set("Strict-Transport-Security", hsts)
		h.Set("X-Frame-Options", xfo)
		h.Set("Referrer-Policy", ref)
		res := headerResult("headers /", "GET /", evaluateHeaders(h, true))
		if res.Status != Pass && res.Fix == "" {
			t.Fatalf("%s without a fix: %q", res.Status, res.Detail)
		}
	})
}

// FuzzRedactURL: a URL's user-info password never survives redaction.
func FuzzRedactURL(f *testing.F) {
	f.Add("postgresql://app", "s3cret-pw", "db:5432/ocomms?sslmode=require")
	f.Add("rediss://", "hunter22", "redis:6380/0")
	f.Fuzz(func(t *testing.T, prefix, password, rest string) {
		if len(password) < 6 || strings.ContainsAny(password, "@/?#%:") {
			return
		}
		raw := prefix + ":" + url.QueryEscape(password) + "@" + rest
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			return
		}
		if p, ok := u.User.Password(); !ok || p != password {
			return
		}
		if got := RedactURL(raw); strings.Contains(got, password) || strings.Contains(got, url.QueryEscape(password)) {
			t.Fatalf("RedactURL(%q) = %q keeps the password", raw, got)
		}
	})
}
