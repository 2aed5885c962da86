package authguard

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/password"
	"github.com/ocomms/ocomms-edge/internal/apierror"
	"github.com/ocomms/ocomms-edge/internal/ratelimitfields"
)

// Codes of the guard's own answers.
const (
	CodeAccountTemporarilyLocked = "ACCOUNT_TEMPORARILY_LOCKED"
	CodeAccountLocked            = "ACCOUNT_LOCKED"
	CodeTooManyAttempts          = "TOO_MANY_ATTEMPTS"
	CodeSignInUnavailable        = "SIGN_IN_UNAVAILABLE"
	CodeMethodNotAllowed         = "METHOD_NOT_ALLOWED"
)

// writeRefusal answers a refused body or password with the refusal.
func writeRefusal(w http.ResponseWriter, r *password.Refusal) {
	apierror.Write(w, r.Status, r.Code, r.Message, 0)
}

// lockBody is the lock answer: apierror's shape plus the unlock path
// (absent in UnlockModeAdmin: the app offers none).
type lockBody struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	Error      string `json:"error"`
	RetryAfter int64  `json:"retryAfter,omitempty"`
	UnlockURL  string `json:"unlockUrl,omitempty"`
}

// roundWait rounds a wait up to whole seconds below a minute and to whole
// minutes above, so answers for different accounts locked at nearly the
// same moment are byte-identical and reveal nothing about timing. It
// returns the wait in seconds and its wording.
func roundWait(d time.Duration) (int64, string) {
	if d <= 0 {
		d = time.Second
	}
	if d < time.Minute {
		s := int64((d + time.Second - 1) / time.Second)
		return s, plural(s, "second")
	}
	m := int64((d + time.Minute - 1) / time.Minute)
	return m * 60, plural(m, "minute")
}

func plural(n int64, unit string) string {
	s := strconv.FormatInt(n, 10) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

// writeLockAnswer answers a sign-in the lockout engine refused, without
// forwarding it. The answer depends only on the reason and the rounded
// wait, never on whether the account exists: the engine counts and locks
// any email string alike, so an existing and a non-existent account get
// the same bytes.
func (g *Guard) writeLockAnswer(w http.ResponseWriter, adm lockout.Admission) {
	var b lockBody
	status := http.StatusTooManyRequests
	ratelimitfields.Set(w.Header(), adm.Limit)
	switch adm.Reason {
	case lockout.ReasonSpray:
		// Per-IP: name no account and offer no unlock path.
		secs, wait := roundWait(adm.RetryAfter)
		apierror.Write(w, status, CodeTooManyAttempts,
			"Too many failed sign-in attempts from your network. Try again in "+wait+".", secs)
		return
	case lockout.ReasonHardLocked:
		b = lockBody{Code: CodeAccountLocked, Message: g.msgs.hardLock.expand(0, "")}
	default: // locked, throttled
		secs, wait := roundWait(adm.RetryAfter)
		b = lockBody{Code: CodeAccountTemporarilyLocked, RetryAfter: secs, Message: g.msgs.lock.expand(secs, wait)}
	}
	b.Error = b.Message
	b.UnlockURL = g.cfg.UnlockURL
	writeLockJSON(w, status, b, b.RetryAfter)
}

// writeLockJSON answers status with a lock answer's body (the app's error
// shape plus the fields that say how to recover) and a Content-Length; a
// positive retryAfter (seconds) is also sent as Retry-After and
// X-Retry-After.
func writeLockJSON(w http.ResponseWriter, status int, body any, retryAfter int64) {
	raw, _ := json.Marshal(body)
	raw = append(raw, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(raw)))
	if retryAfter > 0 {
		s := strconv.FormatInt(retryAfter, 10)
		h.Set("Retry-After", s)
		h.Set("X-Retry-After", s)
	}
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

// writeUnavailable answers a sign-in while the lockout store fails and the
// guard fails closed.
func writeUnavailable(w http.ResponseWriter) {
	apierror.Write(w, http.StatusServiceUnavailable, CodeSignInUnavailable,
		"Sign-in is temporarily unavailable. Try again in a minute.", 60)
}
