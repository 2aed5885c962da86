package demoupstream

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

func TestGetSessionAndSignOut(t *testing.T) {
	h, cookie := demoSignedIn(t)
	token, _, _ := strings.Cut(strings.TrimPrefix(cookie, h.SessionCookieName()+"="), ".")

	tests := []struct {
		name, cookie  string
		wantBody      string
		wantSetCookie int
	}{
		{"valid", cookie, `"email":"demo@ocomms.test"`, 0},
		{"bad signature", h.SessionCookieName() + "=" + token + "." + strings.Repeat("B", 43) + "%3D", "null", 0},
		{"not signed", h.SessionCookieName() + "=" + token, "null", 0},
		{"none", "", "null", 0},
		{"unknown but well signed", h.SessionCookieName() + "=" + h.signedValue("x"), "null", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := authReq(h, http.MethodGet, "/api/auth/get-session", "", "", "Cookie", tt.cookie)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), tt.wantBody) || len(rec.Result().Header.Values("Set-Cookie")) != tt.wantSetCookie {
				t.Errorf("%d %s %q", rec.Code, rec.Body, rec.Result().Header.Values("Set-Cookie"))
			}
		})
	}

	out := authReq(h, http.MethodPost, "/api/auth/sign-out", "", "", "Cookie", cookie, "Origin", DefaultTrustedOrigin)
	if out.Code != 200 || out.Body.String() != `{"success":true}` {
		t.Fatalf("sign-out %d %s", out.Code, out.Body)
	}
	if got := authReq(h, http.MethodGet, "/api/auth/get-session", "", "", "Cookie", cookie); got.Body.String() != "null" {
		t.Errorf("session alive after sign-out: %s", got.Body)
	}
	noCookie := authReq(h, http.MethodPost, "/api/auth/sign-out", "application/json", "{}")
	if code, _ := (fixtures.Response{Body: noCookie.Body.Bytes()}).ErrorFields(); noCookie.Code != 400 || code != "FAILED_TO_GET_SESSION" || len(noCookie.Result().Header.Values("Set-Cookie")) != 3 {
		t.Errorf("sign-out without cookie: %d %s", noCookie.Code, noCookie.Body)
	}
}
