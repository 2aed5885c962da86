package secevent

import "time"

// Action names what happened. Producers set it; the pipeline derives the
// ECS event.kind, event.category and event.type from it, so producers never
// choose ECS categories themselves.
type Action string

// The actions the edge records. The auth guard is the one source of the
// authentication actions; nothing else emits them.
const (
	ActionSignInSucceeded   Action = "sign_in_succeeded"
	ActionSignInFailed      Action = "sign_in_failed"
	ActionSignOut           Action = "sign_out"
	ActionSignUp            Action = "sign_up"
	ActionPasswordChanged   Action = "password_changed"
	ActionPasswordReset     Action = "password_reset"
	ActionPasswordRejected  Action = "password_rejected"
	ActionAccountLocked     Action = "account_locked"
	ActionAccountUnlocked   Action = "account_unlocked"
	ActionSignInRefused     Action = "sign_in_refused" // refused by the guard while locked or throttled
	ActionMFASucceeded      Action = "mfa_succeeded"   // a right second factor (TOTP, OTP, backup code)
	ActionMFAFailed         Action = "mfa_failed"      // a wrong second factor
	ActionMFALocked         Action = "mfa_locked"      // wrong second factors started a lock
	ActionMFARefused        Action = "mfa_refused"     // a second factor refused by the guard (locked, capped, unknown pending sign-in)
	ActionRateLimited       Action = "rate_limited"
	ActionRequestRefused    Action = "request_refused" // refused by the edge: a body it cannot read one way, or without the field it keys on
	ActionAccessDenied      Action = "access_denied"   // refused by an access rule: a client address outside an allowlist, a foreign Origin
	ActionCSPViolation      Action = "csp_violation"
	ActionAdmin             Action = "admin_action"
	ActionCertObtained      Action = "certificate_obtained"
	ActionCertRenewed       Action = "certificate_renewed"
	ActionCertFailed        Action = "certificate_failed"
	ActionConfigLoaded      Action = "configuration_loaded"
	ActionAuditCheckpoint   Action = "audit_checkpoint"
	ActionAuditRetentionCut Action = "audit_retention_checkpoint"
)

// Outcome is ECS event.outcome.
type Outcome string

// ECS event.outcome values.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
	OutcomeUnknown Outcome = "unknown"
)

// Event is one security event as a producer hands it to Emit. Producers
// fill Action, Outcome and whatever of the rest they know; the pipeline
// fills ID, Time (when zero), Instance and Sequence. Never put a password,
// token, cookie or reset token in any field.
type Event struct {
	// ID is event.id, a UUIDv4: the de-duplication key across sinks.
	ID string
	// Time is @timestamp (UTC, microseconds).
	Time time.Time
	// Action is event.action.
	Action Action
	// Outcome is event.outcome.
	Outcome Outcome
	// Reason is event.reason: a stable code such as
	// "INVALID_EMAIL_OR_PASSWORD", "PASSWORD_COMPROMISED", "expired".
	Reason string

	// UserID is user.id when known (from a session or a response body).
	UserID string
	// UserEmail is user.email, as typed, lower-cased as better-auth keys it.
	UserEmail string
	// UserName is user.name.
	UserName string
	// TargetUser is user.target.* for admin actions and unlocks: the
	// account acted upon (an id or an email).
	TargetUser string
	// TargetEmail is user.target.email when the target is known by email.
	TargetEmail string

	// SourceIP is source.ip: Caddy's trusted client_ip, never a header.
	SourceIP string
	// UserAgent is user_agent.original.
	UserAgent string
	// Method is http.request.method.
	Method string
	// Path is url.path; a query is never recorded unredacted.
	Path string
	// Status is http.response.status_code.
	Status int

	// Labels carry action-specific values with stable names: "zone" for
	// rate_limited, "lock_until", "failures", "unlock_by" ("expiry",
	// "reset", "admin", "device"), "device_trusted", "directive" for CSP
	// violations, "subjects" for certificates, "resource" for admin
	// actions, "by" (ip_allow, origin), "rule" and "origin" for
	// access_denied. Values are strings; no secrets.
	Labels map[string]string

	// Instance and Sequence are filled by the pipeline: the chain this
	// event belongs to and its gapless position in it (from 1).
	Instance string
	Sequence uint64
}

// Emitter takes events. Emit must never block the caller for I/O and must
// not fail the request: a full queue is the pipeline's problem, not the
// producer's.
type Emitter interface {
	Emit(Event)
}

// EmitterFunc adapts a function to Emitter.
type EmitterFunc func(Event)

// Emit calls f.
func (f EmitterFunc) Emit(e Event) { f(e) }

// Discard is an Emitter that drops every event.
var Discard Emitter = EmitterFunc(func(Event) {})
