package demoupstream

import (
	"net/url"
	"strings"
)

// changePasswordBody is the success body of POST /change-password.
type changePasswordBody struct {
	Token *string  `json:"token"`
	User  userView `json:"user"`
}

// changePassword serves POST /change-password (session required).
func (h *Handler) changePassword(c *authCall) {
	newPassword := str(c.body, "newPassword")
	if e, bad := passwordLengthError(newPassword); bad {
		e.write(c.w)
		return
	}
	if !c.user.checkPassword(str(c.body, "currentPassword")) {
		errInvalidPassword.write(c.w)
		return
	}
	u, ok := h.store.setPassword(c.user.ID, newPassword)
	if !ok {
		writeRecorded(c.w, recUnauthorized)
		return
	}
	out := changePasswordBody{User: u.view()}
	if revoke, _ := boolField(c.body, "revokeOtherSessions"); revoke {
		h.store.deleteUserSessions(u.ID)
		sess := h.store.createSession(u.ID, clientIP(c.r), c.r.UserAgent(), false)
		h.setSessionCookie(c.w, sess.Token, false)
		out.Token = &sess.Token
	}
	writeRecordedJSON(c.w, recPasswordChange, out)
}

// requestPasswordReset serves POST /request-password-reset: the same 200
// for known and unknown emails; a known one gets a reset token, which the
// fake keeps instead of mailing (see Handler.LastResetToken).
func (h *Handler) requestPasswordReset(c *authCall) {
	if u, ok := h.store.userByEmail(str(c.body, "email")); ok {
		token := h.store.issueResetToken(u)
		link := authBasePath + "/reset-password/" + token
		if redirect := str(c.body, "redirectTo"); redirect != "" {
			link += "?callbackURL=" + url.QueryEscape(redirect)
		}
		h.logf("password reset link for %s: %s", u.Email, link)
	}
	writeRecorded(c.w, recResetRequested)
}

// resetPassword serves POST /reset-password ({newPassword, token} or
// ?token=); a token works once.
func (h *Handler) resetPassword(c *authCall) {
	token := str(c.body, "token")
	if token == "" {
		token = c.r.URL.Query().Get("token")
	}
	if token == "" {
		errInvalidToken.write(c.w)
		return
	}
	newPassword := str(c.body, "newPassword")
	if e, bad := passwordLengthError(newPassword); bad {
		e.write(c.w)
		return
	}
	userID, ok := h.store.consumeResetToken(token)
	if !ok {
		errInvalidToken.write(c.w)
		return
	}
	if _, ok := h.store.setPassword(userID, newPassword); !ok {
		errInvalidToken.write(c.w)
		return
	}
	writeRecorded(c.w, recResetDone)
}

// resetPasswordCallback serves GET /reset-password/<token>?callbackURL=…,
// the mailed link: 302 to callbackURL?token=<token> (or ?error=INVALID_TOKEN).
func (h *Handler) resetPasswordCallback(c *authCall) {
	token := strings.TrimPrefix(c.r.URL.Path, authBasePath+"/reset-password/")
	callback := c.r.URL.Query().Get("callbackURL")
	var location string
	switch {
	case callback == "":
		location = authBasePath + "/error?error=INVALID_TOKEN"
	case !h.store.validResetToken(token):
		location = appendQuery(callback, "error=INVALID_TOKEN")
	default:
		location = appendQuery(callback, "token="+url.QueryEscape(token))
	}
	c.w.Header().Set("Location", location)
	writeRecorded(c.w, recResetRedirect, "location")
}

// appendQuery adds a query parameter to a URL string.
func appendQuery(u, param string) string {
	if strings.Contains(u, "?") {
		return u + "&" + param
	}
	return u + "?" + param
}
