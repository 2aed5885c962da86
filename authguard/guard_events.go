package authguard

import (
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/internal/jscase"
	"github.com/ocomms/ocomms-edge/reqbody"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Decision names what the guard did with one auth request, for metrics.
type Decision string

// The guard's decisions.
const (
	DecisionSignInSucceeded  Decision = "sign_in_succeeded"
	DecisionSignInFailed     Decision = "sign_in_failed"
	DecisionSignInNotCounted Decision = "sign_in_not_counted"
	DecisionRefusedThrottled Decision = "refused_throttled"
	DecisionRefusedLocked    Decision = "refused_locked"
	DecisionRefusedHardLock  Decision = "refused_hard_locked"
	DecisionRefusedSpray     Decision = "refused_spray"
	DecisionStoreError       Decision = "store_error"
	DecisionPasswordRejected Decision = "password_rejected"
	DecisionBodyRefused      Decision = "body_refused"
	// Two-factor verifications (guard_twofactor.go).
	DecisionTwoFactorSucceeded Decision = "two_factor_succeeded"
	DecisionTwoFactorFailed    Decision = "two_factor_failed"
	DecisionTwoFactorRefused   Decision = "two_factor_refused"
)

// Decisions lists every Decision, for metrics set-up.
func Decisions() []Decision {
	return []Decision{DecisionSignInSucceeded, DecisionSignInFailed, DecisionSignInNotCounted,
		DecisionRefusedThrottled, DecisionRefusedLocked, DecisionRefusedHardLock, DecisionRefusedSpray,
		DecisionStoreError, DecisionPasswordRejected, DecisionBodyRefused,
		DecisionTwoFactorSucceeded, DecisionTwoFactorFailed, DecisionTwoFactorRefused}
}

func (g *Guard) decided(d Decision) {
	if g.cfg.OnDecision != nil {
		g.cfg.OnDecision(d)
	}
}

func refusalDecision(reason string) Decision {
	switch reason {
	case lockout.ReasonThrottled:
		return DecisionRefusedThrottled
	case lockout.ReasonHardLocked:
		return DecisionRefusedHardLock
	case lockout.ReasonSpray:
		return DecisionRefusedSpray
	}
	return DecisionRefusedLocked
}

// emit fills the request's fields into e and hands it on.
func (g *Guard) emit(r *http.Request, e secevent.Event) {
	g.send(g.withRequest(r, e))
}

// withRequest fills in the request's fields: the trusted client IP, the
// user agent as sent (every event kind records it alike; the audit log
// cleans it), the method and the path.
func (g *Guard) withRequest(r *http.Request, e secevent.Event) secevent.Event {
	return secevent.FromRequest(r, secevent.SourceIP(g.clientIP(r)), e)
}

// send hands e on, naming its account by the lockout's account key (the
// account_key label of the lockout's own events) when it has an email.
func (g *Guard) send(e secevent.Event) {
	if e.UserEmail != "" && g.keyer != nil && e.Labels["account_key"] == "" {
		if e.Labels == nil {
			e.Labels = make(map[string]string, 1)
		}
		e.Labels["account_key"] = g.keyer.AccountKey(e.UserEmail)
	}
	g.events.Emit(e)
}

// emitSignIn records the outcome of a forwarded sign-in. The audit log is
// its record (mirrored to Caddy's log as ocomms.audit); the guard's own
// lines about decisions are debug-level, so no sign-in is logged twice.
func (g *Guard) emitSignIn(r *http.Request, email string, status int, out lockout.AttemptOutcome, answer AnswerBody, adm lockout.Admission, res lockout.Settlement) {
	email = jscase.ToLower(email)
	e := secevent.Event{UserEmail: email, Status: status, Reason: answer.Code, UserID: answer.User.ID}
	labels := map[string]string{}
	if adm.Trusted {
		labels["device_trusted"] = "true"
	}
	msg, d := "sign-in not counted", DecisionSignInNotCounted
	switch out {
	case lockout.OutcomeSuccess:
		e.Action, e.Outcome, msg, d = secevent.ActionSignInSucceeded, secevent.OutcomeSuccess, "sign-in succeeded", DecisionSignInSucceeded
		labels["method"] = "password"
		if answer.TwoFactorRedirect {
			// The password was right; the session comes with the second
			// factor (its own sign_in_succeeded, method two_factor).
			labels["two_factor"] = "pending"
		}
	case lockout.OutcomeFailure:
		e.Action, e.Outcome, msg, d = secevent.ActionSignInFailed, secevent.OutcomeFailure, "sign-in failed", DecisionSignInFailed
		labels["failures"] = strconv.Itoa(res.Failures)
	}
	g.decided(d)
	if c := g.log.Check(zapcore.DebugLevel, msg); c != nil {
		c.Write(zap.String("email", email), zap.String("client_ip", g.clientIP(r).String()),
			zap.Int("status", status), zap.String("code", answer.Code),
			zap.Bool("device_trusted", adm.Trusted), zap.Bool("recovery", adm.Recovery), zap.Int("failures", res.Failures))
	}
	if out == lockout.OutcomeNotCounted {
		return
	}
	if len(labels) > 0 {
		e.Labels = labels
	}
	g.emit(r, e)
	// The engine itself reports account_locked and account_unlocked.
	if res.Locked {
		until := "reset_or_admin"
		if !res.LockedTill.IsZero() {
			until = res.LockedTill.UTC().Format(time.RFC3339)
		}
		if c := g.log.Check(zapcore.DebugLevel, "account locked"); c != nil {
			c.Write(zap.String("email", email), zap.String("lock_until", until), zap.Int("failures", res.Failures))
		}
	}
}

// logRefused logs a sign-in the lockout refused; the engine emits its
// sign_in_refused event.
func (g *Guard) logRefused(r *http.Request, email string, adm lockout.Admission) {
	g.decided(refusalDecision(adm.Reason))
	if c := g.log.Check(zapcore.DebugLevel, "sign-in refused"); c != nil {
		c.Write(zap.String("email", jscase.ToLower(email)), zap.String("client_ip", g.clientIP(r).String()),
			zap.String("reason", adm.Reason), zap.Duration("retry_after", adm.RetryAfter.Round(time.Second)))
	}
}

// emitStoreRefused records a sign-in refused because the lockout store
// failed (the engine could not decide, so it reported nothing).
func (g *Guard) emitStoreRefused(r *http.Request, email string) {
	g.decided(DecisionStoreError)
	g.emit(r, secevent.Event{Action: secevent.ActionSignInRefused, Outcome: secevent.OutcomeFailure,
		UserEmail: jscase.ToLower(email), Reason: "store_error", Status: http.StatusServiceUnavailable})
}

// emitPasswordRejected records a rejected new password by its reason code
// only.
func (g *Guard) emitPasswordRejected(r *http.Request, email, code string) {
	g.decided(DecisionPasswordRejected)
	email = jscase.ToLower(email)
	g.emit(r, secevent.Event{Action: secevent.ActionPasswordRejected, Outcome: secevent.OutcomeFailure,
		UserEmail: email, Reason: code, Status: http.StatusBadRequest})
	if c := g.log.Check(zapcore.DebugLevel, "password rejected"); c != nil {
		c.Write(zap.String("path", r.URL.Path), zap.String("email", email),
			zap.String("client_ip", g.clientIP(r).String()), zap.String("reason", code))
	}
}

// emitPasswordSet records the app's answer to a sign-up, change or reset.
func (g *Guard) emitPasswordSet(r *http.Request, kind passwordSet, email string, status int, out lockout.AttemptOutcome, answer AnswerBody) {
	email = jscase.ToLower(email)
	e := secevent.Event{Action: kind.action(), UserEmail: email, UserID: answer.User.ID, Status: status, Reason: answer.Code}
	switch {
	case status == http.StatusOK:
		e.Outcome = secevent.OutcomeSuccess
	case kind == passwordChange && out == lockout.OutcomeFailure:
		e.Outcome = secevent.OutcomeFailure
	default:
		return // the app refused for reasons of its own: nothing happened
	}
	g.emit(r, e)
	if c := g.log.Check(zapcore.DebugLevel, string(e.Action)); c != nil {
		c.Write(zap.String("email", email), zap.String("client_ip", g.clientIP(r).String()),
			zap.Int("status", status), zap.String("code", answer.Code))
	}
}

// logStoreError logs a failing lockout store.
func (g *Guard) logStoreError(r *http.Request, op string, err error) {
	mode := "closed"
	if g.cfg.FailOpen {
		mode = "open"
	}
	g.log.Error("lockout store failed", zap.String("op", op), zap.String("fail", mode),
		zap.String("client_ip", g.clientIP(r).String()), zap.Error(err))
}

// refuseBody answers a request the guard would not forward because it
// cannot read it one way or it lacks the field the guard keys on, and
// records the refusal: one audit event (never the body) and a decision.
func (g *Guard) refuseBody(w http.ResponseWriter, r *http.Request, ref *reqbody.Refusal) {
	g.decided(DecisionBodyRefused)
	if g.cfg.OnBodyRefused != nil {
		g.cfg.OnBodyRefused(ref.Reason)
	}
	if c := g.log.Check(zapcore.DebugLevel, "auth request refused"); c != nil {
		c.Write(zap.String("path", r.URL.Path), zap.String("client_ip", g.clientIP(r).String()),
			zap.Int("status", ref.Status), zap.String("code", ref.Code), zap.String("reason", ref.Reason))
	}
	g.emit(r, ref.Event("auth_guard"))
	ref.Write(w)
}
