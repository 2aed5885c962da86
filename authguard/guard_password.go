package authguard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/internal/apierror"
	"github.com/ocomms/ocomms-edge/internal/ratelimitfields"
	"github.com/ocomms/ocomms-edge/reqbody"
	"github.com/ocomms/ocomms-edge/secevent"
)

// passwordSet says which endpoint sets a new password.
type passwordSet int

const (
	passwordSignUp passwordSet = iota
	passwordChange
	passwordReset
)

func (p passwordSet) action() secevent.Action {
	switch p {
	case passwordSignUp:
		return secevent.ActionSignUp
	case passwordChange:
		return secevent.ActionPasswordChanged
	}
	return secevent.ActionPasswordReset
}

// servePasswordSet checks the new password of a sign-up, change-password or
// reset-password (a rejected one is answered here, never forwarded nor
// logged), forwards the rest and records the app's answer. A 200 from
// reset-password gets the lockout engine's recovery cookie.
func (g *Guard) servePasswordSet(w http.ResponseWriter, r *http.Request, body *reqbody.Body, next NextHandler, field string, kind passwordSet) error {
	email, _ := body.Field("email")
	if password, ok := body.Field(field); ok && g.cfg.Passwords != nil {
		var context []string
		if kind == passwordSignUp {
			// Change and reset requests carry no email or name; the checker
			// still applies its configured words.
			name, _ := body.Field("name")
			context = []string{email, name}
		}
		if refusal := g.cfg.Passwords.CheckPassword(password, context); refusal != nil {
			g.emitPasswordRejected(r, email, refusal.Code)
			writeRefusal(w, refusal)
			return nil
		}
	}
	var s *signInSettle
	if kind == passwordChange && g.cfg.Lockout != nil {
		var done bool
		var err error
		if s, done, err = g.beginSessionCheck(w, r); done {
			return err
		}
		if s != nil {
			defer s.ensure()
		}
	}
	var answer AnswerBody
	var outcome lockout.AttemptOutcome
	ow := &outcomeWriter{ResponseWriter: w, capture: true}
	if kind == passwordChange {
		ow.needBody = func(status int, h http.Header) bool { return needsBody(status, h, false) }
	}
	ow.decide = func(status int, h http.Header, b []byte) {
		switch kind {
		case passwordChange:
			outcome, answer = ClassifyChangePassword(status, b)
			if s != nil {
				s.settle(outcome)
			}
		case passwordReset:
			if status == http.StatusOK && g.cfg.Lockout != nil {
				g.grantRecovery(r, h)
			}
		}
	}
	status, err := ow.done(next.ServeHTTP(ow, r))
	if answer.User.ID == "" && len(ow.buf) > 0 && status == http.StatusOK {
		answer = parseAnswer(ow.buf)
	}
	g.emitPasswordSet(r, kind, email, status, outcome, answer)
	return err
}

// beginSessionCheck asks the lockout whether this session may try another
// current password (a wrong one is a guess: 400 INVALID_PASSWORD counts as
// a failure keyed by the session). done means the request was answered.
func (g *Guard) beginSessionCheck(w http.ResponseWriter, r *http.Request) (*signInSettle, bool, error) {
	session := sessionCookieValue(r)
	if session == "" {
		return nil, false, nil // the app answers 401
	}
	attempt := lockout.SignInAttempt{Session: session, IP: g.clientIP(r)}
	adm, err := g.cfg.Lockout.Begin(r.Context(), attempt)
	if err != nil {
		g.logStoreError(r, "begin_session", err)
		if g.cfg.FailOpen {
			return nil, false, nil
		}
		g.decided(DecisionStoreError)
		writeUnavailable(w)
		return nil, true, nil
	}
	if !adm.Admit {
		g.logRefused(r, "", adm)
		secs, wait := roundWait(adm.RetryAfter)
		ratelimitfields.Set(w.Header(), adm.Limit)
		apierror.Write(w, http.StatusTooManyRequests, CodeTooManyAttempts, g.sessionLockMessage(wait), secs)
		return nil, true, nil
	}
	return &signInSettle{g: g, r: r, attempt: attempt, adm: adm}, false, nil
}

// sessionCookieValue returns the raw value of better-auth's session cookie
// on the request ("<prefix>.session_token", __Secure- or not), or "" when
// there is none or more than one (identity refuses those before this is
// asked: which one the app reads depends on its configuration).
func sessionCookieValue(r *http.Request) string {
	v, n := sessionCookies(r)
	if n != 1 {
		return ""
	}
	return v
}

// sessionCookies counts the cookies named "<prefix>.session_token", over
// every Cookie line, and returns the first one's value as the app reads
// it: percent-decoded (better-auth sets it encodeURIComponent'd, and
// better-call decodes what it gets), so that spelling one session with
// other escapes per guess cannot make it a new session for the lockout.
func sessionCookies(r *http.Request) (first string, n int) {
	for _, c := range r.Cookies() {
		if strings.HasSuffix(c.Name, ".session_token") {
			if n == 0 {
				first = decodeCookieValue(c.Value)
			}
			n++
		}
	}
	return first, n
}

// decodeCookieValue percent-decodes v; a malformed escape or bytes that
// are not UTF-8 leave v as it is (decodeURIComponent throws on both, and
// better-call then keeps the raw value).
func decodeCookieValue(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	d, err := url.PathUnescape(v)
	if err != nil || !utf8.ValidString(d) {
		return v
	}
	return d
}

// grantRecovery adds the one-use recovery cookie to a successful reset.
func (g *Guard) grantRecovery(r *http.Request, h http.Header) {
	c, err := g.cfg.Lockout.GrantRecovery(context.WithoutCancel(r.Context()))
	if err != nil {
		g.logStoreError(r, "grant_recovery", err)
		return
	}
	if c != nil {
		if v := c.String(); v != "" {
			h.Add("Set-Cookie", v)
		}
	}
}
