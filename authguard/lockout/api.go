package lockout

import (
	"context"
	"net/http"
	"net/netip"
	"time"

	"github.com/ocomms/ocomms-edge/internal/ratelimitfields"
)

// SignInAttempt is one sign-in the guard is about to forward.
type SignInAttempt struct {
	// Email is the email as sent; the engine keys it as JavaScript's
	// toLowerCase would and stores only an HMAC of it.
	Email string
	// IP is Caddy's trusted client IP.
	IP netip.Addr
	// DeviceCookie and RecoveryCookie are the raw values of the guard's
	// own cookies on the request, empty when absent. A device cookie may
	// carry entries for several accounts; pass Settle the same attempt so
	// that the re-issued cookie keeps the others.
	DeviceCookie   string
	RecoveryCookie string
	// Session, when not empty, is the raw session cookie value of a
	// password check made inside a session (change-password,
	// verify-password, delete-user: 400 INVALID_PASSWORD). The attempt is
	// then keyed by an HMAC of the session instead of Email, has the
	// untrusted budget and schedule, and no device, recovery or spray
	// handling (the caller holds a session already).
	Session string
}

// The guard's own cookies. Both carry the __Host- prefix, so they are set
// with Secure, Path=/ and no Domain; the guard reads them with these names.
const (
	DeviceCookieName   = "__Host-ocomms-device"
	RecoveryCookieName = "__Host-ocomms-recovery"
)

// Admission reasons.
const (
	ReasonThrottled  = "throttled"
	ReasonLocked     = "locked"
	ReasonHardLocked = "hard_locked"
	ReasonSpray      = "spray"
)

// Admission is the engine's answer before forwarding. When Admit is true a
// slot is reserved and Settle must be called exactly once with the outcome
// (OutcomeNotCounted releases it), so concurrent attempts cannot exceed
// the budget.
type Admission struct {
	Admit bool
	// Reason when refused: "throttled" (progressive refusal), "locked",
	// "hard_locked" (cap reached: reset or admin only), "spray" (the IP
	// failed against too many accounts).
	Reason     string
	RetryAfter time.Duration
	// Trusted is whether a valid device cookie for this account was shown.
	Trusted bool
	// Recovery is whether a valid recovery cookie let this attempt through.
	Recovery bool
	// Limit, when refused, is the budget the attempt ran out of, for the
	// RateLimit-Policy and RateLimit fields of the 429 (zero: none).
	Limit ratelimitfields.Policy

	ticket any // engine-private reservation
}

// AttemptOutcome is what the app's response said about the password.
type AttemptOutcome int

// Outcomes read from better-auth's answers.
const (
	// OutcomeNotCounted: the answer says nothing about the password
	// (validation, origin, 415, 422, 429, 5xx).
	OutcomeNotCounted AttemptOutcome = iota
	// OutcomeFailure: 401 INVALID_EMAIL_OR_PASSWORD (or 400
	// INVALID_PASSWORD from change-password).
	OutcomeFailure
	// OutcomeSuccess: the password was right (200 with the session cookie,
	// 200 twoFactorRedirect, 403 EMAIL_NOT_VERIFIED or BANNED_USER).
	OutcomeSuccess
)

// Settlement is what the guard must do after the app answered.
type Settlement struct {
	// Cookies to add to the response (a fresh device cookie on success,
	// an expired recovery cookie once it was used).
	Cookies []*http.Cookie
	// Locked is set when this failure started a lock, with its end.
	Locked     bool
	LockedTill time.Time
	// Failures is the account's consecutive failure count afterwards
	// (the device's, for a trusted attempt).
	Failures int
	// Cleared is set when this success cleared the account's state
	// (an untrusted or recovery success).
	Cleared bool
}

// LockoutEntry is one account's state, for the admin API.
type LockoutEntry struct {
	// Key is the account's HMAC key (hex); emails are never stored.
	Key         string
	Failures    int
	LockedUntil time.Time
	HardLocked  bool
	LastFailure time.Time
	// Devices counts the account's trusted devices (device cookies) with
	// failures, a lock or a revocation on record; DevicesLocked those
	// whose own lock is in force; DevicesDistrusted those whose cookie
	// is no longer trusted (consecutive failures at the hard limit).
	Devices           int
	DevicesLocked     int
	DevicesDistrusted int
}

// LockoutEngine is the account lockout (SEC-07). Implementations are safe
// for concurrent use and make every update atomic in their store.
type LockoutEngine interface {
	// Begin decides whether a sign-in may be forwarded.
	Begin(ctx context.Context, a SignInAttempt) (Admission, error)
	// Settle records the app's verdict on an admitted attempt.
	Settle(ctx context.Context, a SignInAttempt, adm Admission, out AttemptOutcome) (Settlement, error)
	// GrantRecovery returns the one-use recovery cookie set on a 200 from
	// reset-password.
	GrantRecovery(ctx context.Context) (*http.Cookie, error)
	// Unlock clears an account (by email), for an admin.
	Unlock(ctx context.Context, email string) (bool, error)
	// List returns locked or failing accounts, for an admin.
	List(ctx context.Context) ([]LockoutEntry, error)
}
