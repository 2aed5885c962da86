package demoupstream

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

func TestDemoUserSignIn(t *testing.T) {
	invalid := fixtures.MustLoad("sign-in-wrong-password").Response
	tests := []struct {
		name        string
		opts        Options
		contentType string
		body        string
		status      int
	}{
		{"json default password", Options{}, "application/json", `{"email":"demo@ocomms.test","password":"correct horse battery staple"}`, 200},
		{"form default password", Options{}, "application/x-www-form-urlencoded", "email=demo%40ocomms.test&password=correct+horse+battery+staple", 200},
		{"email case-insensitive", Options{}, "application/json", `{"email":"Demo@OComms.test","password":"correct horse battery staple"}`, 200},
		{"custom password", Options{Password: "s3cret-demo-pw"}, "application/json", `{"email":"demo@ocomms.test","password":"s3cret-demo-pw"}`, 200},
		{"default password refused when custom set", Options{Password: "s3cret-demo-pw"}, "application/json", `{"email":"demo@ocomms.test","password":"correct horse battery staple"}`, 401},
		{"wrong password", Options{}, "application/json", `{"email":"demo@ocomms.test","password":"wrong horse"}`, 401},
		{"unknown email", Options{}, "application/json", `{"email":"nobody@ocomms.test","password":"correct horse battery staple"}`, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(tt.opts)
			rec := authReq(h, http.MethodPost, "/api/auth/sign-in/email", tt.contentType, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 401 {
				if rec.Body.String() != string(invalid.BodyBytes()) || rec.Header().Get("Set-Cookie") != "" {
					t.Errorf("401 body %s, want exactly %s", rec.Body, invalid.BodyBytes())
				}
				return
			}
			var body struct {
				Redirect bool
				User     struct{ Email string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.User.Email != DemoEmail || body.Redirect {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
}

func TestSessionCookieFormatAndSignature(t *testing.T) {
	tests := []struct {
		secure bool
		line   *regexp.Regexp
	}{
		{false, regexp.MustCompile(`^better-auth\.session_token=([A-Za-z0-9]{32})\.([A-Za-z0-9%]+); Max-Age=604800; Path=/; HttpOnly; SameSite=Lax$`)},
		{true, regexp.MustCompile(`^__Secure-better-auth\.session_token=([A-Za-z0-9]{32})\.([A-Za-z0-9%]+); Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax$`)},
	}
	for _, tt := range tests {
		h := NewHandler(Options{SecureCookies: tt.secure, Secret: "test-secret"})
		rec := signInJSON(h, DemoEmail, DefaultPassword)
		m := tt.line.FindStringSubmatch(rec.Header().Get("Set-Cookie"))
		if m == nil {
			t.Fatalf("secure=%v: Set-Cookie %q", tt.secure, rec.Header().Get("Set-Cookie"))
		}
		sig, err := url.QueryUnescape(m[2])
		mac := hmac.New(sha256.New, []byte("test-secret"))
		mac.Write([]byte(m[1]))
		if err != nil || sig != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			t.Errorf("signature %q does not verify", m[2])
		}
		var body struct{ Token string }
		json.Unmarshal(rec.Body.Bytes(), &body)
		if body.Token != m[1] {
			t.Errorf("body token %q, cookie token %q", body.Token, m[1])
		}
		// The session works, under the configured cookie name only.
		got := authReq(h, http.MethodGet, "/api/auth/get-session", "", "", "Cookie", cookieHeader(t, h, rec))
		if !strings.Contains(got.Body.String(), `"email":"demo@ocomms.test"`) {
			t.Errorf("secure=%v get-session %s", tt.secure, got.Body)
		}
		other := "better-auth.session_token=" + m[1] + "." + m[2]
		if tt.secure {
			if got := authReq(h, http.MethodGet, "/api/auth/get-session", "", "", "Cookie", other); got.Body.String() != "null" {
				t.Errorf("unprefixed cookie accepted in secure mode: %s", got.Body)
			}
		}
	}
}

func TestSignUp(t *testing.T) {
	h := NewHandler(Options{})
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"new user", `{"name":"Carol","email":"carol@ocomms.test","password":"carol-password"}`, 200, ""},
		{"demo email taken", `{"name":"X","email":"DEMO@ocomms.test","password":"another-password"}`, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"},
		{"7 characters", `{"name":"X","email":"x@ocomms.test","password":"1234567"}`, 400, "PASSWORD_TOO_SHORT"},
		{"129 characters", `{"name":"X","email":"x@ocomms.test","password":"` + strings.Repeat("p", 129) + `"}`, 400, "PASSWORD_TOO_LONG"},
		{"128 characters", `{"name":"X","email":"x128@ocomms.test","password":"` + strings.Repeat("p", 128) + `"}`, 200, ""},
		{"bad email", `{"name":"X","email":"x@@ocomms","password":"12345678"}`, 400, "INVALID_EMAIL"},
		{"missing name", `{"email":"y@ocomms.test","password":"12345678"}`, 400, "VALIDATION_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := authReq(h, http.MethodPost, "/api/auth/sign-up/email", "application/json", tt.body)
			code, _ := (fixtures.Response{Body: rec.Body.Bytes()}).ErrorFields()
			if rec.Code != tt.status || code != tt.code {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.code)
			}
		})
	}
	if rec := signInJSON(h, "carol@ocomms.test", "carol-password"); rec.Code != 200 {
		t.Errorf("new user cannot sign in: %d", rec.Code)
	}
}

func TestValidationAndMediaTypes(t *testing.T) {
	h := NewHandler(Options{})
	tests := []struct {
		name, path, contentType, body string
		status                        int
		message                       string
	}{
		{"empty object", "/api/auth/sign-in/email", "application/json", `{}`,
			400, "[body.email] Invalid input: expected string, received undefined; [body.password] Invalid input: expected string, received undefined"},
		{"array body", "/api/auth/sign-in/email", "application/json", `[1]`, 400, "[body] Invalid input: expected object, received array"},
		{"number field", "/api/auth/sign-in/email", "application/json", `{"email":1,"password":"x"}`, 400, "[body.email] Invalid input: expected string, received number"},
		{"form rememberMe is a string", "/api/auth/sign-in/email", "application/x-www-form-urlencoded", "email=a%40b.co&password=x&rememberMe=false",
			400, "[body.rememberMe] Invalid input: expected boolean, received string"},
		{"json with charset", "/api/auth/sign-in/email", "application/json; charset=utf-8", `{"email":"demo@ocomms.test","password":"nope"}`, 401, "Invalid email or password"},
		{"multipart refused", "/api/auth/sign-in/email", "multipart/form-data; boundary=x", "--x--", 415,
			`Content-Type "multipart/form-data; boundary=x" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json`},
		{"text/plain on JSON-only endpoint", "/api/auth/request-password-reset", "text/plain", `{"email":"a@b.co"}`, 415,
			`Content-Type "text/plain" is not allowed. Allowed types: application/json`},
		{"trailing garbage is a syntax error", "/api/auth/sign-in/email", "application/json", `{"email":"a@b.co","password":"x"} x`, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := authReq(h, http.MethodPost, tt.path, tt.contentType, tt.body)
			_, msg := (fixtures.Response{Body: rec.Body.Bytes()}).ErrorFields()
			if rec.Code != tt.status || msg != tt.message {
				t.Errorf("%d %q, want %d %q", rec.Code, msg, tt.status, tt.message)
			}
		})
	}
}

func TestUnknownAuthRoutesAreBare404(t *testing.T) {
	h := NewHandler(Options{})
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/api/auth/nope"}, {http.MethodPost, "/api/auth/forget-password"},
		{http.MethodDelete, "/api/auth/sign-out"}, {http.MethodGet, "/api/auth/sign-up/email"},
		{http.MethodPost, "/api/auth/get-session"}, {http.MethodGet, "/api/auth/reset-password/a/b"},
	} {
		rec := authReq(h, tt.method, tt.path, "application/json", "{}")
		if rec.Code != 404 || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
			t.Errorf("%s %s: %d %q %q", tt.method, tt.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
}
