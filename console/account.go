package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
)

// fallbackKey keys the email hash when no lockout engine is running (its
// keys are then unknown); random per process.
var fallbackKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
})

// accountOf is how an email appears on the page: the lockout's keyed hash,
// so that an event's account and a lockout row compare equal.
func (h *Handler) accountOf(email string) string {
	email = normEmail(email)
	if email == "" {
		return ""
	}
	if h.cfg.Lockouts != nil {
		if k := h.cfg.Lockouts.AccountKey(email); k != "" {
			return k
		}
	}
	m := hmac.New(sha256.New, fallbackKey())
	m.Write([]byte(email))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// redactValue hides an email inside a free-form value (a label) behind
// its hash.
func (h *Handler) redactValue(v string) string {
	if !strings.Contains(v, "@") {
		return v
	}
	return "hash:" + h.accountOf(v)
}
