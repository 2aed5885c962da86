package demoupstream

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestChangePassword(t *testing.T) {
	h, cookie := demoSignedIn(t)
	change := func(body string, extra ...string) *httptest.ResponseRecorder {
		return authReq(h, http.MethodPost, "/api/auth/change-password", "application/json", body,
			append([]string{"Cookie", cookie, "Origin", DefaultTrustedOrigin}, extra...)...)
	}
	if rec := change(`{"currentPassword":"wrong","newPassword":"new-password-1"}`); rec.Code != 400 || !strings.Contains(rec.Body.String(), "INVALID_PASSWORD") {
		t.Errorf("wrong current: %d %s", rec.Code, rec.Body)
	}
	if rec := change(`{"currentPassword":"correct horse battery staple","newPassword":"short"}`); rec.Code != 400 || !strings.Contains(rec.Body.String(), "PASSWORD_TOO_SHORT") {
		t.Errorf("short new password: %d %s", rec.Code, rec.Body)
	}
	// Origin equal to the request's own host is trusted (the BETTER_AUTH_URL stand-in).
	rec := change(`{"currentPassword":"correct horse battery staple","newPassword":"new-password-1"}`, "Origin", "http://example.com")
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), `{"token":null,"user":{`) {
		t.Fatalf("change: %d %s", rec.Code, rec.Body)
	}
	if signInJSON(h, DemoEmail, DefaultPassword).Code != 401 || signInJSON(h, DemoEmail, "new-password-1").Code != 200 {
		t.Error("password not changed")
	}
	rec = change(`{"currentPassword":"new-password-1","newPassword":"new-password-2","revokeOtherSessions":true}`, "Origin", "", "Referer", DefaultTrustedOrigin+"/settings")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), `"token":null`) || rec.Header().Get("Set-Cookie") == "" {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	if got := authReq(h, http.MethodGet, "/api/auth/get-session", "", "", "Cookie", cookie); got.Body.String() != "null" {
		t.Error("old session survived revokeOtherSessions")
	}
	if got := authReq(h, http.MethodGet, "/api/auth/get-session", "", "", "Cookie", cookieHeader(t, h, rec)); got.Body.String() == "null" {
		t.Error("new session from revokeOtherSessions does not work")
	}
}

func TestPasswordResetFlow(t *testing.T) {
	h := NewHandler(Options{})
	request := func(email string) {
		rec := authReq(h, http.MethodPost, "/api/auth/request-password-reset", "application/json", `{"email":"`+email+`","redirectTo":"http://localhost:8080/reset"}`)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":true`) {
			t.Fatalf("request reset: %d %s", rec.Code, rec.Body)
		}
	}
	request("nobody@ocomms.test")
	if h.LastResetToken("nobody@ocomms.test") != "" {
		t.Error("token issued for an unknown email")
	}
	request(DemoEmail)
	token := h.LastResetToken("DEMO@ocomms.test")
	if !regexp.MustCompile(`^[A-Za-z0-9]{24}$`).MatchString(token) {
		t.Fatalf("reset token %q", token)
	}

	link := authReq(h, http.MethodGet, "/api/auth/reset-password/"+token+"?callbackURL="+url.QueryEscape("http://localhost:8080/reset"), "", "")
	if link.Code != 302 || link.Header().Get("Location") != "http://localhost:8080/reset?token="+token {
		t.Errorf("reset link: %d %q", link.Code, link.Header().Get("Location"))
	}
	bad := authReq(h, http.MethodGet, "/api/auth/reset-password/nope?callbackURL="+url.QueryEscape("http://localhost:8080/reset?a=1"), "", "")
	if bad.Code != 302 || bad.Header().Get("Location") != "http://localhost:8080/reset?a=1&error=INVALID_TOKEN" {
		t.Errorf("bad reset link: %d %q", bad.Code, bad.Header().Get("Location"))
	}

	reset := func(body, query string) *httptest.ResponseRecorder {
		return authReq(h, http.MethodPost, "/api/auth/reset-password"+query, "application/json", body)
	}
	if rec := reset(`{"newPassword":"short","token":"`+token+`"}`, ""); rec.Code != 400 || !strings.Contains(rec.Body.String(), "PASSWORD_TOO_SHORT") {
		t.Errorf("short reset: %d %s", rec.Code, rec.Body)
	}
	if rec := reset(`{"newPassword":"reset-password-1"}`, "?token="+token); rec.Code != 200 || rec.Body.String() != `{"status":true}` {
		t.Fatalf("reset with ?token=: %d %s", rec.Code, rec.Body)
	}
	if rec := reset(`{"newPassword":"reset-password-2","token":"`+token+`"}`, ""); rec.Code != 400 || !strings.Contains(rec.Body.String(), "INVALID_TOKEN") {
		t.Errorf("reused token: %d %s", rec.Code, rec.Body)
	}
	if rec := reset(`{"newPassword":"reset-password-2"}`, ""); rec.Code != 400 || !strings.Contains(rec.Body.String(), "INVALID_TOKEN") {
		t.Errorf("missing token: %d %s", rec.Code, rec.Body)
	}
	if signInJSON(h, DemoEmail, "reset-password-1").Code != 200 {
		t.Error("cannot sign in with the reset password")
	}
}
