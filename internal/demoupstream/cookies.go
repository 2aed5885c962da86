package demoupstream

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// Cookie base names, before the optional __Secure- prefix.
const (
	sessionTokenCookie = "better-auth.session_token"
	sessionDataCookie  = "better-auth.session_data"
	dontRememberCookie = "better-auth.dont_remember"
)

// sessionMaxAge is the Max-Age better-auth sends with a session cookie.
const sessionMaxAge = "604800"

// cookieState says what a request's session cookie turned out to be.
type cookieState int

const (
	cookieAbsent    cookieState = iota // no cookie, or not token.signature
	cookieBadSigned                    // well-formed but the HMAC does not match
	cookieSigned                       // correctly signed
)

// cookieName returns a cookie name with the __Secure- prefix when the
// handler uses secure cookies.
func (h *Handler) cookieName(base string) string {
	if h.opts.SecureCookies {
		return "__Secure-" + base
	}
	return base
}

// sign returns base64(HMAC-SHA256(secret, value)) with padding.
func (h *Handler) sign(value string) string {
	mac := hmac.New(sha256.New, []byte(h.opts.Secret))
	mac.Write([]byte(value))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signedValue returns encodeURIComponent(value + "." + signature).
func (h *Handler) signedValue(value string) string {
	return url.QueryEscape(value + "." + h.sign(value))
}

// cookieLine formats a Set-Cookie value in better-auth's attribute order.
func (h *Handler) cookieLine(base, value, maxAge string) string {
	var b strings.Builder
	b.WriteString(h.cookieName(base) + "=" + value)
	if maxAge != "" {
		b.WriteString("; Max-Age=" + maxAge)
	}
	b.WriteString("; Path=/; HttpOnly")
	if h.opts.SecureCookies {
		b.WriteString("; Secure")
	}
	b.WriteString("; SameSite=Lax")
	return b.String()
}

// setSessionCookie adds the session cookie (and the dont_remember cookie
// for a rememberMe:false sign-in).
func (h *Handler) setSessionCookie(w http.ResponseWriter, token string, dontRemember bool) {
	if dontRemember {
		w.Header().Add("Set-Cookie", h.cookieLine(sessionTokenCookie, h.signedValue(token), ""))
		w.Header().Add("Set-Cookie", h.cookieLine(dontRememberCookie, h.signedValue("true"), ""))
		return
	}
	w.Header().Add("Set-Cookie", h.cookieLine(sessionTokenCookie, h.signedValue(token), sessionMaxAge))
}

// clearSessionCookies adds the three clearing cookies better-auth sends on
// sign-out and for a dead session.
func (h *Handler) clearSessionCookies(w http.ResponseWriter) {
	for _, base := range []string{sessionTokenCookie, sessionDataCookie, dontRememberCookie} {
		w.Header().Add("Set-Cookie", h.cookieLine(base, "", "0"))
	}
}

// sessionCookie reads and verifies the session cookie, returning the raw
// token when it is correctly signed.
func (h *Handler) sessionCookie(r *http.Request) (string, cookieState) {
	c, err := r.Cookie(h.cookieName(sessionTokenCookie))
	if err != nil {
		return "", cookieAbsent
	}
	value, err := url.PathUnescape(c.Value)
	if err != nil {
		return "", cookieAbsent
	}
	dot := strings.LastIndexByte(value, '.')
	if dot < 1 {
		return "", cookieAbsent
	}
	token, signature := value[:dot], value[dot+1:]
	if len(signature) != 44 || !strings.HasSuffix(signature, "=") {
		return "", cookieAbsent
	}
	if !hmac.Equal([]byte(signature), []byte(h.sign(token))) {
		return "", cookieBadSigned
	}
	return token, cookieSigned
}
