package twofactor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
)

// Store keeps the guard's records: small opaque values under string keys,
// each updated atomically (the lockout's LockStore contract: fn may run
// more than once, a nil next deletes the key, next equal to cur writes
// nothing). Keys carry a Redis Cluster hash tag ({…}) per subject.
type Store interface {
	Update(ctx context.Context, key string, fn func(now time.Time, cur []byte) (next []byte, ttl time.Duration)) error
}

// FromLockStore adapts the lockout's store (memory or Redis) to Store,
// so that the lockout and the two-factor guard keep their records in one
// place.
func FromLockStore(s lockout.LockStore) Store { return lockStore{s} }

type lockStore struct{ s lockout.LockStore }

func (l lockStore) Update(ctx context.Context, key string, fn func(time.Time, []byte) ([]byte, time.Duration)) error {
	return l.s.Update(ctx, key, lockout.UpdateFunc(fn))
}

// keyer derives the guard's keys from the secret, each use under its own
// label, so that no key is the secret itself or another use's key.
type keyer struct {
	pending, session, ip, account []byte
}

func newKeyer(secret []byte) keyer {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("ocomms-edge two-factor v1 " + label))
		return m.Sum(nil)
	}
	return keyer{pending: derive("pending"), session: derive("session"), ip: derive("ip"), account: derive("account")}
}

func mac(key []byte, v []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(v)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Record keys. An account's code and backup budgets and its send-otp rate
// share a slot; a pending sign-in and a session have their own.
func acctCodeKey(acct string) string   { return "{tf:a:" + acct + "}:c" }
func acctBackupKey(acct string) string { return "{tf:a:" + acct + "}:b" }
func acctSendKey(acct string) string   { return "{tf:a:" + acct + "}:o" }
func pendingKey(h string) string       { return "{tf:p:" + h + "}" }
func sessCodeKey(h string) string      { return "{tf:s:" + h + "}:c" }
func sessBackupKey(h string) string    { return "{tf:s:" + h + "}:b" }
func sessSendKey(h string) string      { return "{tf:s:" + h + "}:o" }
func ipSendKey(h string) string        { return "{tf:ip:" + h + "}:o" }

// validAccount reports whether acct looks like an account key (hex, as
// the lockout names accounts).
func validAccount(acct string) error {
	if len(acct) < 16 || len(acct) > 64 {
		return errors.New("two-factor guard: account key must be 16 to 64 hex digits")
	}
	for i := 0; i < len(acct); i++ {
		c := acct[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return errors.New("two-factor guard: account key must be lower-case hex")
		}
	}
	return nil
}

// AccountKey is the key of an account named by its email, as better-auth
// looks it up (the caller lower-cases it as JavaScript does). The guard
// uses the lockout's key instead when it has a lockout, so that both name
// an account alike.
func (l *Limiter) AccountKey(email string) string { return mac(l.keys.account, []byte(email)) }
