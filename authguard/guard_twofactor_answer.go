package authguard

import (
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ocomms/ocomms-edge/authguard/twofactor"
	"github.com/ocomms/ocomms-edge/internal/apierror"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Codes of the two-factor guard's own answers.
const (
	CodeTwoFactorLocked      = "TWO_FACTOR_LOCKED"
	CodeBackupCodeLocked     = "BACKUP_CODE_LOCKED"
	CodeTwoFactorSignInAgain = "TWO_FACTOR_SIGN_IN_AGAIN"
	CodeTooManyOTPRequests   = "TOO_MANY_OTP_REQUESTS"
	CodeTwoFactorUnavailable = "TWO_FACTOR_UNAVAILABLE"
)

// twoFactorRestartMessage answers a verify request with no pending
// sign-in the guard knows.
const twoFactorRestartMessage = "This two-factor sign-in is not known or has expired. Sign in again with your password."

// Ways out of a two-factor lock, named in the answer's recovery field.
const (
	recoverBackupCode = "backup_code"
	recoverAdmin      = "admin"
	recoverWait       = "wait"
)

// twoFactorLockBody is the two-factor lock answer: apierror's shape, the
// wait, and how to recover.
type twoFactorLockBody struct {
	Code       string   `json:"code"`
	Message    string   `json:"message"`
	Error      string   `json:"error"`
	RetryAfter int64    `json:"retryAfter,omitempty"`
	Recovery   []string `json:"recovery,omitempty"`
}

// writeTwoFactorRefusal answers a two-factor request the Limiter refused
// and returns the status sent. The answer names no account and depends
// only on the reason and the rounded wait.
func (g *Guard) writeTwoFactorRefusal(w http.ResponseWriter, adm twofactor.Admission) int {
	secs, wait := roundWait(adm.RetryAfter)
	switch adm.Reason {
	case twofactor.ReasonUnknown:
		apierror.Write(w, http.StatusUnauthorized, CodeInvalidTwoFactorCookie, twoFactorRestartMessage, 0)
		return http.StatusUnauthorized
	case twofactor.ReasonSpent:
		apierror.Write(w, http.StatusUnauthorized, CodeTwoFactorSignInAgain,
			"Too many wrong codes for this sign-in. Sign in again with your password.", 0)
		return http.StatusUnauthorized
	case twofactor.ReasonThrottled:
		apierror.Write(w, http.StatusTooManyRequests, CodeTooManyAttempts,
			"Too many wrong codes. Try again in "+wait+".", secs)
		return http.StatusTooManyRequests
	case twofactor.ReasonSendRate:
		apierror.Write(w, http.StatusTooManyRequests, CodeTooManyOTPRequests,
			"Too many codes were requested. Try again in "+wait+".", secs)
		return http.StatusTooManyRequests
	}
	b := twoFactorLockBody{Code: CodeTwoFactorLocked, RetryAfter: secs}
	if adm.Kind == twofactor.KindBackup {
		b.Code = CodeBackupCodeLocked
		b.Message = "Too many wrong backup codes. Try again in " + wait + ", or ask an administrator to unlock your account."
		b.Recovery = []string{recoverWait, recoverAdmin}
	} else {
		b.Message = "Too many wrong codes. Try again in " + wait + ", use one of your backup codes, or ask an administrator to unlock your account."
		b.Recovery = []string{recoverWait, recoverBackupCode, recoverAdmin}
	}
	b.Error = b.Message
	// roundWait makes secs at least 1: the headers are always sent.
	writeLockJSON(w, http.StatusTooManyRequests, b, secs)
	return http.StatusTooManyRequests
}

// writeTwoFactorUnavailable answers while the store fails (fail closed).
func writeTwoFactorUnavailable(w http.ResponseWriter) {
	apierror.Write(w, http.StatusServiceUnavailable, CodeTwoFactorUnavailable,
		"Two-factor verification is temporarily unavailable. Try again in a minute.", 60)
}

// twoFactorLabels are the labels every two-factor event carries.
func twoFactorLabels(method string, adm twofactor.Admission) map[string]string {
	l := map[string]string{"method": method}
	if adm.Account != "" {
		l["account_key"] = adm.Account
	} else {
		l["subject"] = "session"
	}
	return l
}

// emitTwoFactorRefused records a two-factor request the guard answered
// itself.
func (g *Guard) emitTwoFactorRefused(r *http.Request, method string, adm twofactor.Admission, status int) {
	g.decided(DecisionTwoFactorRefused)
	labels := twoFactorLabels(method, adm)
	if !adm.LockedUntil.IsZero() {
		labels["lock_until"] = adm.LockedUntil.UTC().Format(time.RFC3339)
	}
	g.emit(r, secevent.Event{Action: secevent.ActionMFARefused, Outcome: secevent.OutcomeFailure,
		Reason: adm.Reason, Status: status, Labels: labels})
	if c := g.log.Check(zapcore.DebugLevel, "two-factor refused"); c != nil {
		c.Write(zap.String("method", method), zap.String("reason", adm.Reason),
			zap.String("client_ip", g.clientIP(r).String()), zap.Duration("retry_after", adm.RetryAfter.Round(time.Second)))
	}
}

// emitTwoFactor records the outcome of a forwarded verify request: one
// mfa_succeeded or mfa_failed, and mfa_locked when the failure started a
// lock. Answers that say nothing about the code record nothing.
func (g *Guard) emitTwoFactor(r *http.Request, method string, status int, code string, out twofactor.Outcome, adm twofactor.Admission, res twofactor.Settlement) {
	labels := twoFactorLabels(method, adm)
	e := secevent.Event{Status: status, Reason: code, Labels: labels}
	switch out {
	case twofactor.Success:
		g.decided(DecisionTwoFactorSucceeded)
		e.Action, e.Outcome = secevent.ActionMFASucceeded, secevent.OutcomeSuccess
		if res.Cleared {
			labels["cleared"] = "true"
		}
	case twofactor.Failure:
		g.decided(DecisionTwoFactorFailed)
		e.Action, e.Outcome = secevent.ActionMFAFailed, secevent.OutcomeFailure
		labels["failures"] = strconv.Itoa(res.Failures)
	default:
		return
	}
	g.emit(r, e)
	if res.Locked {
		lock := twoFactorLabels(method, adm)
		lock["failures"] = strconv.Itoa(res.Failures)
		lock["lock_until"] = res.LockedUntil.UTC().Format(time.RFC3339)
		g.emit(r, secevent.Event{Action: secevent.ActionMFALocked, Outcome: secevent.OutcomeFailure,
			Reason: code, Status: status, Labels: lock})
	}
}
