package authguard

import (
	"context"
	"net/http"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/reqbody"
)

// serveSignIn runs a sign-in through the lockout engine: a refused one is
// answered here, an admitted one is forwarded and the app's answer settles
// the reserved attempt.
func (g *Guard) serveSignIn(w http.ResponseWriter, r *http.Request, body *reqbody.Body, next NextHandler) error {
	email, _ := body.Field("email") // present: identity checked it
	if g.cfg.Lockout == nil {
		return g.forwardSignIn(w, r, email, nil, next)
	}
	attempt := lockout.SignInAttempt{
		Email:          email,
		IP:             g.clientIP(r),
		DeviceCookie:   cookieValue(r, lockout.DeviceCookieName),
		RecoveryCookie: cookieValue(r, lockout.RecoveryCookieName),
	}
	adm, err := g.cfg.Lockout.Begin(r.Context(), attempt)
	if err != nil {
		g.logStoreError(r, "begin", err)
		if g.cfg.FailOpen {
			return g.forwardSignIn(w, r, email, nil, next)
		}
		g.emitStoreRefused(r, email)
		writeUnavailable(w)
		return nil
	}
	if !adm.Admit {
		g.logRefused(r, email, adm)
		g.writeLockAnswer(w, adm)
		return nil
	}
	s := &signInSettle{g: g, r: r, attempt: attempt, adm: adm}
	defer s.ensure() // a panicking or failing next still releases the slot
	return g.forwardSignIn(w, r, email, s, next)
}

// signInSettle settles one admitted attempt exactly once.
type signInSettle struct {
	g       *Guard
	r       *http.Request
	attempt lockout.SignInAttempt
	adm     lockout.Admission
	done    bool
	result  lockout.Settlement
}

func (s *signInSettle) settle(out lockout.AttemptOutcome) lockout.Settlement {
	if s.done {
		return s.result
	}
	s.done = true
	// The client may have gone; the verdict must still be recorded.
	ctx := context.WithoutCancel(s.r.Context())
	res, err := s.g.cfg.Lockout.Settle(ctx, s.attempt, s.adm, out)
	if err != nil {
		s.g.logStoreError(s.r, "settle", err)
	}
	s.result = res
	return res
}

func (s *signInSettle) ensure() {
	if !s.done {
		s.settle(lockout.OutcomeNotCounted)
	}
}

// forwardSignIn forwards a sign-in and reads the app's answer; s is nil
// when there is no lockout (or it failed open).
func (g *Guard) forwardSignIn(w http.ResponseWriter, r *http.Request, email string, s *signInSettle, next NextHandler) error {
	var outcome lockout.AttemptOutcome
	var answer AnswerBody
	var res lockout.Settlement
	ow := &outcomeWriter{ResponseWriter: w, capture: true}
	ow.needBody = func(status int, h http.Header) bool { return needsBody(status, h, true) }
	ow.decide = func(status int, h http.Header, body []byte) {
		outcome, answer = ClassifySignIn(status, h, body)
		g.notePendingTwoFactor(r, email, status, h)
		if s != nil {
			res = s.settle(outcome)
			for _, c := range res.Cookies {
				if v := c.String(); v != "" {
					h.Add("Set-Cookie", v)
				}
			}
		}
	}
	// When nothing was written the chain failed: nothing to count.
	status, err := ow.done(next.ServeHTTP(ow, r))
	if outcome == lockout.OutcomeSuccess && answer.User.ID == "" && len(ow.buf) > 0 {
		answer = parseAnswer(ow.buf)
	}
	var adm lockout.Admission
	if s != nil {
		adm = s.adm
	}
	g.emitSignIn(r, email, status, outcome, answer, adm, res)
	return err
}

// cookieValue returns the value of the named request cookie, or "".
func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// statusCoder is implemented by Caddy's handler errors.
type statusCoder interface{ HTTPStatus() int }

// errorStatus is the status an error from the chain will be answered with.
func errorStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if sc, ok := err.(statusCoder); ok && sc.HTTPStatus() != 0 {
		return sc.HTTPStatus()
	}
	return http.StatusBadGateway
}
