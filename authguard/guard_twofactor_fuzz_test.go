package authguard

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzTwoFactorSubject: whatever Cookie header and Set-Cookie line come,
// reading them never panics, a request the guard would forward always
// names a subject, and a refused one is answered 400 or 401.
func FuzzTwoFactorSubject(f *testing.F) {
	f.Add("better-auth.two_factor=2fa-abc.sig%2B%3D", "better-auth.two_factor=2fa-abc.sig%2B%3D; Max-Age=600; Path=/", 401, `{"code":"INVALID_CODE"}`)
	f.Add("__Secure-better-auth.two_factor=a; better-auth.two_factor=b", "__Secure-better-auth.two_factor=; Max-Age=0", 200, `{}`)
	f.Add("better-auth.session_token=t.s", "x=y", 401, `{"code":"INVALID_BACKUP_CODE"}`)
	f.Add("", "better-auth.two_factor=%zz", 400, `{"code":`)
	f.Fuzz(func(t *testing.T, cookie, setCookie string, status int, body string) {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/two-factor/verify-totp", nil)
		r.Header.Set("Cookie", cookie)
		s, ref := twoFactorSubject(r)
		if ref == nil && s.Pending == "" && s.Session == "" {
			t.Fatalf("forwarded with no subject: %q", cookie)
		}
		if ref != nil && ref.Status != http.StatusBadRequest && ref.Status != http.StatusUnauthorized {
			t.Fatalf("refusal status %d", ref.Status)
		}
		h := http.Header{"Set-Cookie": {setCookie}}
		if c := setTwoFactorCookie(h); c != nil && (c.Value == "" || c.MaxAge < 0) {
			t.Fatalf("an expiring two-factor cookie taken as pending: %q", setCookie)
		}
		out, _ := ClassifyTwoFactor(status, []byte(body))
		if out != 0 && status != http.StatusOK && status != http.StatusUnauthorized {
			t.Fatalf("status %d counted", status)
		}
	})
}
