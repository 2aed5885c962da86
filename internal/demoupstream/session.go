package demoupstream

// sessionBody is the body of GET /get-session for a live session.
type sessionBody struct {
	Session sessionView `json:"session"`
	User    userView    `json:"user"`
}

// getSession serves GET /get-session: {session,user}, or JSON null (plus
// the clearing cookies when a well-signed cookie names a dead session).
func (h *Handler) getSession(c *authCall) {
	token, state := h.sessionCookie(c.r)
	if state != cookieSigned {
		writeRecorded(c.w, recNoSession)
		return
	}
	sess, u, ok := h.store.sessionByToken(token)
	if !ok {
		h.clearSessionCookies(c.w)
		writeRecorded(c.w, recNoSession)
		return
	}
	writeRecordedJSON(c.w, recSession, sessionBody{Session: sess.view(), User: u.view()})
}

// signOut serves POST /sign-out: deletes the session and clears cookies.
func (h *Handler) signOut(c *authCall) {
	token, state := h.sessionCookie(c.r)
	h.clearSessionCookies(c.w)
	if state != cookieSigned {
		errFailedToGetSession.write(c.w)
		return
	}
	h.store.deleteSession(token)
	writeRecorded(c.w, recSignedOut)
}
