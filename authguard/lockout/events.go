package lockout

import (
	"strconv"
	"time"

	"github.com/ocomms/ocomms-edge/internal/jscase"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Events of the lockout. Each names the account by its key in the label
// "account_key" (what List shows and UnlockKey takes), and by the email
// lower-cased as better-auth keys it when the attempt gave one; the IP is
// the trusted client IP. Cookies never appear.

func (l *Lockout) event(a SignInAttempt, t *lockTicket, action secevent.Action, outcome secevent.Outcome, reason string) secevent.Event {
	e := secevent.Event{
		Action:  action,
		Outcome: outcome,
		Reason:  reason,
		Labels:  map[string]string{"account_key": t.acctHex},
	}
	if a.Session == "" && a.Email != "" {
		e.UserEmail = jscase.ToLower(a.Email)
		e.TargetEmail = e.UserEmail
	}
	if a.IP.IsValid() {
		e.SourceIP = a.IP.String()
	}
	return e
}

// emitRefused reports a sign-in the guard answers without forwarding.
func (l *Lockout) emitRefused(a SignInAttempt, t *lockTicket, adm Admission) {
	e := l.event(a, t, secevent.ActionSignInRefused, secevent.OutcomeFailure, adm.Reason)
	e.Labels["retry_after"] = strconv.Itoa(int((adm.RetryAfter + time.Second - 1) / time.Second))
	e.Labels["device_trusted"] = strconv.FormatBool(adm.Trusted)
	l.o.Events.Emit(e)
}

// emitLocked reports a lock that a failure started: reason is "locked",
// "hard_locked" or "device" (a trusted device's own lock).
func (l *Lockout) emitLocked(a SignInAttempt, t *lockTicket, st Settlement, reason string) {
	e := l.event(a, t, secevent.ActionAccountLocked, secevent.OutcomeSuccess, reason)
	if st.LockedTill.IsZero() {
		e.Labels["lock_until"] = "reset_or_admin"
	} else {
		e.Labels["lock_until"] = st.LockedTill.UTC().Format(time.RFC3339)
	}
	e.Labels["failures"] = strconv.Itoa(st.Failures)
	e.Labels["device_trusted"] = strconv.FormatBool(t.kind == kindTrusted)
	l.o.Events.Emit(e)
}

// emitUnlocked reports an unlock: by "expiry" (seen at the first attempt
// after the lock ended), "reset" (a recovery sign-in), "admin", or
// "device" (a trusted device signed in while the untrusted lock stays).
func (l *Lockout) emitUnlocked(a SignInAttempt, t *lockTicket, by string) {
	e := l.event(a, t, secevent.ActionAccountUnlocked, secevent.OutcomeSuccess, by)
	e.Labels["unlock_by"] = by
	if by == "device" {
		e.Labels["untrusted_lock"] = "kept"
	}
	l.o.Events.Emit(e)
}
