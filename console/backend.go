package console

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Lockout is one account with failures or a lock, as the lockout store
// keeps it: by the keyed hash of its email, never the email.
type Lockout struct {
	// Key is the account's keyed email hash (hex).
	Key string
	// Failures is the current failure count.
	Failures int
	// LockedUntil is when the lock ends; zero when not locked.
	LockedUntil time.Time
	// HardLocked is a lock only an admin or a password reset ends.
	HardLocked bool
	// LastFailure is the newest failure's time; zero when unknown.
	LastFailure time.Time
	// Devices is the account's device-cookie state: its trusted devices
	// with failures, a lock or a revocation on record; DevicesLocked of
	// those whose own lock is in force; DevicesDistrusted whose cookie is
	// no longer trusted.
	Devices           int
	DevicesLocked     int
	DevicesDistrusted int
}

// ErrUnavailable is what a backend returns (wrapped) when what it reads
// is not running, e.g. no ocomms_auth_guard with a lockout.
var ErrUnavailable = errors.New("not running")

// Lockouts is the account lockout as the console needs it.
type Lockouts interface {
	// List returns the accounts with failures or a lock.
	List(ctx context.Context) ([]Lockout, error)
	// AccountKey is the key List shows for an email (the same keyed
	// hash); "" when no lockout runs (the console then hashes emails with
	// a key of its own).
	AccountKey(email string) string
	// UnlockKey clears an account by its key and reports whether it had
	// state to clear.
	UnlockKey(ctx context.Context, key string) (bool, error)
}

// EventFilter selects audit events (zero fields match everything) and
// EventPage is one page of them, newest first: the event model's own
// query terms, which the audit log answers.
type (
	EventFilter = secevent.Filter
	EventPage   = secevent.Page
)

// Events answers queries over the audit log.
type Events interface {
	Query(ctx context.Context, f EventFilter) (EventPage, error)
}

// Status is a health finding's verdict.
type Status string

// Statuses, from good to bad.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusOff  Status = "off"
)

// Finding is one line of the health panel. Detail must carry no secret
// (no URL with a password, no key).
type Finding struct {
	Area   string `json:"area"`
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
}

// Certificate is one certificate the edge serves.
type Certificate struct {
	Subjects []string  `json:"subjects"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
	// RenewAt is when the edge starts renewing it.
	RenewAt time.Time `json:"renew_at"`
}

// HealthReport is the health panel.
type HealthReport struct {
	Findings     []Finding     `json:"findings"`
	Certificates []Certificate `json:"certificates"`
}

// Health reports the edge's stores and certificates. hosts are the names
// whose certificates to report (the console's own host at least).
type Health interface {
	Health(ctx context.Context, hosts []string) (HealthReport, error)
}

// VerifyResult is the audit chain's verification.
type VerifyResult struct {
	OK          bool   `json:"ok"`
	Records     int64  `json:"records"`
	Checkpoints int64  `json:"checkpoints"`
	Problem     string `json:"problem,omitempty"`
	// LastCheckpoint is the time of the chain's newest signed checkpoint;
	// zero when it has none.
	LastCheckpoint time.Time `json:"-"`
}

// Verifier verifies the audit chain of this edge.
type Verifier interface {
	Verify(ctx context.Context) (VerifyResult, error)
}

// Operator is who uses the console: a signed-in admin on a site path, or
// whoever reached the local listener.
type Operator struct {
	// UserID and Email name the admin's account; empty for a local
	// operator.
	UserID string
	Email  string
	// Local is set for an operator admitted by the loopback rule.
	Local bool
}

// ErrNotAdmin is what an Authorizer returns for a client that is signed
// in but whose user is not an admin; any other error is "not signed in"
// or "could not tell", and is refused alike.
type notAdminError struct{}

func (notAdminError) Error() string { return "the signed-in user is not an admin" }

// ErrNotAdmin is returned by an Authorizer for a signed-in non-admin.
var ErrNotAdmin error = notAdminError{}

// Authorizer decides who may use the console.
type Authorizer interface {
	// Authorize returns the operator behind r, or an error when r may not
	// use the console.
	Authorize(r *http.Request) (Operator, error)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(r *http.Request) (Operator, error)

// Authorize calls f.
func (f AuthorizerFunc) Authorize(r *http.Request) (Operator, error) { return f(r) }
