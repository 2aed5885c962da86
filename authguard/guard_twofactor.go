package authguard

import (
	"context"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/authguard/twofactor"
	"github.com/ocomms/ocomms-edge/internal/jscase"
	"github.com/ocomms/ocomms-edge/reqbody"
)

// better-auth's twoFactor plugin endpoints the guard counts, relative to
// the prefix.
const (
	pathVerifyTOTP       = "/two-factor/verify-totp"
	pathVerifyOTP        = "/two-factor/verify-otp"
	pathVerifyBackupCode = "/two-factor/verify-backup-code"
	pathSendOTP          = "/two-factor/send-otp"
)

// twoFactorCookieSuffix ends the name of better-auth's two-factor cookie:
// "<prefix>.two_factor", with __Secure- when the app's base URL is https.
const twoFactorCookieSuffix = ".two_factor"

// twoFactorSubject reads who a two-factor request is for: the two-factor
// cookie (the pending sign-in), else the session cookie (enabling
// two-factor while signed in). More than one cookie of either kind is
// refused (which one the app reads depends on its configuration), and so
// are both kinds together (better-auth would check the session's account,
// not the pending one) and neither: nothing is forwarded uncounted.
func twoFactorSubject(r *http.Request) (twofactor.Subject, *reqbody.Refusal) {
	var s twofactor.Subject
	n := 0
	for _, c := range r.Cookies() {
		if strings.HasSuffix(c.Name, twoFactorCookieSuffix) {
			if n == 0 {
				s.Pending = decodeCookieValue(c.Value)
			}
			n++
		}
	}
	if n > 1 {
		return s, reqbody.Refuse(http.StatusBadRequest, reqbody.CodeAmbiguousBody, reqbody.ReasonAmbiguous,
			"The request carries more than one two-factor cookie.")
	}
	if rawTwoFactorCookies(r) != n {
		// A two-factor cookie Go's parser dropped (a byte it refuses) may
		// still be read by the app, which would then check a code the
		// guard keyed on something else (a made-up session).
		return s, reqbody.Refuse(http.StatusBadRequest, reqbody.CodeAmbiguousBody, reqbody.ReasonAmbiguous,
			"The request carries a two-factor cookie that cannot be read one way.")
	}
	v, ns := sessionCookies(r)
	if s.Pending != "" {
		if ns > 0 {
			// better-auth reads the session first and the two-factor
			// cookie only without one: a code checked against another
			// signed-in account would settle this pending sign-in's
			// budget (a success clears its locks). Refused, whichever
			// the app would have read.
			return s, reqbody.Refuse(http.StatusBadRequest, reqbody.CodeAmbiguousBody, reqbody.ReasonAmbiguous,
				"The request carries both a session and a two-factor sign-in. Sign out, or sign in again with your password.")
		}
		return s, nil
	}
	switch {
	case ns > 1:
		return s, reqbody.Refuse(http.StatusBadRequest, reqbody.CodeAmbiguousBody, reqbody.ReasonAmbiguous,
			"The request carries more than one session cookie.")
	case v == "":
		return s, reqbody.Refuse(http.StatusUnauthorized, CodeInvalidTwoFactorCookie, reqbody.ReasonMissingField,
			twoFactorRestartMessage)
	}
	s.Session = v
	return s, nil
}

// rawTwoFactorCookies counts the two-factor cookie names in the raw
// Cookie lines, as a lenient parser would find them.
func rawTwoFactorCookies(r *http.Request) int {
	n := 0
	for _, line := range r.Header.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			name, _, ok := strings.Cut(part, "=")
			if ok && strings.HasSuffix(strings.TrimSpace(name), twoFactorCookieSuffix) {
				n++
			}
		}
	}
	return n
}

// serveTwoFactor guards one POST to a two-factor endpoint: send-otp by
// its rate, the verify endpoints by the Limiter's budgets; the app's
// answer settles the attempt.
func (g *Guard) serveTwoFactor(w http.ResponseWriter, r *http.Request, rel string, next NextHandler) error {
	tf := g.cfg.TwoFactor
	if tf == nil {
		return next.ServeHTTP(w, r)
	}
	subj, ref := twoFactorSubject(r)
	if ref != nil {
		g.refuseBody(w, r, ref)
		return nil
	}
	subj.IP = g.clientIP(r)
	method, kind := twoFactorMethod(rel)
	var adm twofactor.Admission
	var err error
	if rel == pathSendOTP {
		adm, err = tf.AllowSend(r.Context(), subj)
	} else {
		adm, err = tf.Begin(r.Context(), subj, kind)
	}
	if err != nil {
		g.log.Error("two-factor store failed", zap.String("path", rel), zap.Bool("fail_open", g.cfg.FailOpen),
			zap.String("client_ip", subj.IP.String()), zap.Error(err))
		if g.cfg.FailOpen {
			return next.ServeHTTP(w, r)
		}
		g.emitTwoFactorRefused(r, method, twofactor.Admission{Reason: "store_error"}, http.StatusServiceUnavailable)
		writeTwoFactorUnavailable(w)
		return nil
	}
	if !adm.Admit {
		status := g.writeTwoFactorRefusal(w, adm)
		g.emitTwoFactorRefused(r, method, adm, status)
		return nil
	}
	if rel == pathSendOTP {
		return next.ServeHTTP(w, r)
	}
	return g.forwardTwoFactor(w, r, method, adm, next)
}

// twoFactorMethod names the verification of a path and its budget.
func twoFactorMethod(rel string) (string, twofactor.Kind) {
	switch rel {
	case pathVerifyOTP:
		return "otp", twofactor.KindCode
	case pathVerifyBackupCode:
		return "backup_code", twofactor.KindBackup
	case pathSendOTP:
		return "send_otp", twofactor.KindCode
	}
	return "totp", twofactor.KindCode
}

// forwardTwoFactor forwards an admitted verify request and settles it
// from the app's answer, exactly once (a failing or panicking next
// releases the slot as not counted).
func (g *Guard) forwardTwoFactor(w http.ResponseWriter, r *http.Request, method string, adm twofactor.Admission, next NextHandler) error {
	tf := g.cfg.TwoFactor
	var out twofactor.Outcome
	var code string
	var res twofactor.Settlement
	settled := false
	settle := func(o twofactor.Outcome) {
		if settled {
			return
		}
		settled = true
		var err error
		res, err = tf.Settle(context.WithoutCancel(r.Context()), adm, o)
		if err != nil {
			g.log.Error("two-factor store failed", zap.String("op", "settle"), zap.Error(err))
		}
	}
	defer settle(twofactor.NotCounted)
	ow := &outcomeWriter{ResponseWriter: w}
	ow.needBody = func(status int, h http.Header) bool {
		return (status == http.StatusUnauthorized || status == http.StatusBadRequest) && isJSON(h.Get("Content-Type"))
	}
	ow.decide = func(status int, h http.Header, body []byte) {
		out, code = ClassifyTwoFactor(status, body)
		settle(out)
	}
	status, err := ow.done(next.ServeHTTP(ow, r))
	g.emitTwoFactor(r, method, status, code, out, adm, res)
	return err
}

// CodeInvalidCode and CodeInvalidBackupCode are the twoFactor plugin's
// answers to a wrong code (401).
const (
	CodeInvalidCode            = "INVALID_CODE"
	CodeInvalidBackupCode      = "INVALID_BACKUP_CODE"
	CodeInvalidTwoFactorCookie = "INVALID_TWO_FACTOR_COOKIE"
)

// ClassifyTwoFactor reads better-auth's answer to a verify request: 200
// is a right code (the session is issued, or confirmed when enabling);
// 401 INVALID_CODE or INVALID_BACKUP_CODE a wrong one. Everything else
// (an unknown two-factor cookie, an expired OTP, a validation error, a
// 5xx) says nothing about the code and is not counted.
func ClassifyTwoFactor(status int, body []byte) (twofactor.Outcome, string) {
	a := parseAnswer(body)
	switch {
	case status == http.StatusOK:
		return twofactor.Success, a.Code
	case status == http.StatusUnauthorized && (a.Code == CodeInvalidCode || a.Code == CodeInvalidBackupCode):
		return twofactor.Failure, a.Code
	}
	return twofactor.NotCounted, a.Code
}

// notePendingTwoFactor remembers which account a pending two-factor
// sign-in belongs to, when a sign-in's 200 answer sets the two-factor
// cookie (better-auth does only with twoFactorRedirect; the body may not
// have been read here, since the answer also sets and clears the session
// cookie): the verify requests carry only the cookie. It runs before the
// answer goes out, so the record exists before the client can send a
// code.
func (g *Guard) notePendingTwoFactor(r *http.Request, email string, status int, h http.Header) {
	tf := g.cfg.TwoFactor
	if tf == nil || status != http.StatusOK {
		return
	}
	c := setTwoFactorCookie(h)
	if c == nil {
		return
	}
	ttl := time.Duration(c.MaxAge) * time.Second
	if err := tf.RecordPending(context.WithoutCancel(r.Context()), decodeCookieValue(c.Value), g.twoFactorAccount(email), ttl); err != nil {
		g.log.Error("two-factor store failed", zap.String("op", "record_pending"), zap.Error(err))
	}
}

// setTwoFactorCookie returns the two-factor cookie a response sets (the
// last one, as a browser keeps it), or nil.
func setTwoFactorCookie(h http.Header) *http.Cookie {
	var found *http.Cookie
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil || !strings.HasSuffix(c.Name, twoFactorCookieSuffix) {
			continue
		}
		found = c
		if c.Value == "" || c.MaxAge < 0 {
			found = nil
		}
	}
	return found
}

// twoFactorAccount is the account key of an email: the lockout's, so that
// the events' account_key and an admin unlock name one account; without a
// lockout, the Limiter's own HMAC of the email as better-auth lower-cases
// it.
func (g *Guard) twoFactorAccount(email string) string {
	if g.keyer != nil {
		return g.keyer.AccountKey(email)
	}
	return g.cfg.TwoFactor.AccountKey(jscase.ToLower(email))
}
