package demoupstream

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// authReq sends one request to a handler.
func authReq(h http.Handler, method, path, contentType, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// signInJSON signs in with a JSON body.
func signInJSON(h http.Handler, email, password string) *httptest.ResponseRecorder {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return authReq(h, http.MethodPost, "/api/auth/sign-in/email", "application/json", string(body))
}

// cookieHeader turns a response's session Set-Cookie into a Cookie header.
func cookieHeader(t *testing.T, h *Handler, rec *httptest.ResponseRecorder) string {
	t.Helper()
	return h.SessionCookieName() + "=" + liveSessionCookie(t, h, rec)
}

// demoSignedIn returns a fresh handler and the Cookie header of the demo
// user signed in on it.
func demoSignedIn(t *testing.T) (*Handler, string) {
	t.Helper()
	h := NewHandler(Options{})
	return h, cookieHeader(t, h, signInJSON(h, DemoEmail, DefaultPassword))
}
