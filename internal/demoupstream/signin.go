package demoupstream

import (
	"net/http"
	"regexp"
	"strings"
	"unicode/utf16"
)

// Password length bounds (better-auth defaults).
const (
	minPasswordLength = 8
	maxPasswordLength = 128
)

// emailShape is zod's email pattern without its two look-aheads, which
// validEmail checks separately.
var emailShape = regexp.MustCompile(`^[A-Za-z0-9_'+\-.]*[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$`)

// validEmail reports whether zod's z.email() accepts s.
func validEmail(s string) bool {
	return !strings.HasPrefix(s, ".") && !strings.Contains(s, "..") && emailShape.MatchString(s)
}

// jsLength is a string's length as JavaScript counts it (UTF-16 units).
func jsLength(s string) int {
	return len(utf16.Encode([]rune(s)))
}

// passwordLengthError returns the better-auth error for a password that is
// too short or too long.
func passwordLengthError(password string) (apiError, bool) {
	switch n := jsLength(password); {
	case n < minPasswordLength:
		return errPasswordTooShort, true
	case n > maxPasswordLength:
		return errPasswordTooLong, true
	}
	return apiError{}, false
}

// clientIP is the first X-Forwarded-For entry, as better-auth records it.
func clientIP(r *http.Request) string {
	ip, _, _ := strings.Cut(r.Header.Get("X-Forwarded-For"), ",")
	return strings.TrimSpace(ip)
}

// signInBody is the success body of POST /sign-in/email.
type signInBody struct {
	Redirect bool     `json:"redirect"`
	Token    string   `json:"token"`
	URL      string   `json:"url,omitempty"`
	User     userView `json:"user"`
}

// signIn serves POST /sign-in/email.
func (h *Handler) signIn(c *authCall) {
	email, password := str(c.body, "email"), str(c.body, "password")
	if !validEmail(email) {
		errInvalidEmail.write(c.w)
		return
	}
	u, ok := h.store.userByEmail(email)
	if !ok || !u.checkPassword(password) {
		errInvalidCredentials.write(c.w)
		return
	}
	sess := h.startSession(c, u)
	callback := str(c.body, "callbackURL")
	writeRecordedJSON(c.w, recSignIn, signInBody{Redirect: callback != "", Token: sess.Token, URL: callback, User: u.view()})
}

// signUpBody is the success body of POST /sign-up/email.
type signUpBody struct {
	Token string   `json:"token"`
	User  userView `json:"user"`
}

// signUp serves POST /sign-up/email (autoSignIn on).
func (h *Handler) signUp(c *authCall) {
	name, email, password := str(c.body, "name"), str(c.body, "email"), str(c.body, "password")
	if !validEmail(email) {
		errInvalidEmail.write(c.w)
		return
	}
	if e, bad := passwordLengthError(password); bad {
		e.write(c.w)
		return
	}
	u, err := h.store.createUser(name, email, password)
	if err != nil {
		errUserExists.write(c.w)
		return
	}
	sess := h.startSession(c, u)
	writeRecordedJSON(c.w, recSignUp, signUpBody{Token: sess.Token, User: u.view()})
}

// startSession creates a session for u from the call's client and sets
// its cookie, as better-auth does after a sign-in or sign-up:
// "rememberMe": false in the body makes it a short browser-session one.
func (h *Handler) startSession(c *authCall, u user) session {
	remember, present := boolField(c.body, "rememberMe")
	dontRemember := present && !remember
	sess := h.store.createSession(u.ID, clientIP(c.r), c.r.UserAgent(), dontRemember)
	h.setSessionCookie(c.w, sess.Token, dontRemember)
	return sess
}
