package authguard

import (
	"errors"
	"strconv"
	"strings"
)

// Unlock modes: which way out the lock answer offers a locked user.
const (
	// UnlockModeReset is for apps with a self-service password reset (the
	// default): the answer says to wait or reset, and carries unlockUrl.
	// A successful reset unlocks the account (the recovery cookie).
	UnlockModeReset = "reset"
	// UnlockModeAdmin is for apps without one, such as OComms v0.1.0,
	// whose /forgot-password only redirects to /login: the answer says to
	// wait or contact an administrator, and carries no unlockUrl.
	UnlockModeAdmin = "admin"
)

// Default lock messages per mode. {wait} is the rounded wait ("15
// minutes", "45 seconds"), {minutes} the wait in whole minutes, rounded up.
const (
	DefaultLockMessageReset     = "Too many failed sign-in attempts. Try again in {wait}, or reset your password to unlock now."
	DefaultHardLockMessageReset = "This account is locked after too many failed sign-in attempts. Reset your password to unlock it, or contact an administrator."
	DefaultLockMessageAdmin     = "Too many failed sign-in attempts. Try again in {wait}, or contact an administrator to unlock your account now."
	DefaultHardLockMessageAdmin = "This account is locked after too many failed sign-in attempts. Contact an administrator to unlock it."
)

// maxLockMessage bounds a configured message: it goes into every lock
// answer and is shown by the sign-in form.
const maxLockMessage = 500

// lockTemplate is a parsed lock message: literal text with {wait} and
// {minutes} placeholders, expanded without allocating more than the
// result.
type lockTemplate struct {
	parts []lockPart
}

type lockPart struct {
	text string
	slot byte // 0: text; 'w': {wait}; 'm': {minutes}
}

// parseLockTemplate reads a message template. Only {wait} and {minutes}
// are placeholders; any other brace is refused, so a misspelt
// placeholder cannot reach users verbatim.
func parseLockTemplate(s string) (lockTemplate, error) {
	if strings.TrimSpace(s) == "" {
		return lockTemplate{}, errors.New("a lock message must not be empty")
	}
	if len(s) > maxLockMessage {
		return lockTemplate{}, errors.New("a lock message must be at most " + strconv.Itoa(maxLockMessage) + " bytes")
	}
	var t lockTemplate
	for s != "" {
		i := strings.IndexAny(s, "{}")
		if i < 0 {
			t.parts = append(t.parts, lockPart{text: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, lockPart{text: s[:i]})
			s = s[i:]
		}
		switch {
		case strings.HasPrefix(s, "{wait}"):
			t.parts = append(t.parts, lockPart{slot: 'w'})
			s = s[len("{wait}"):]
		case strings.HasPrefix(s, "{minutes}"):
			t.parts = append(t.parts, lockPart{slot: 'm'})
			s = s[len("{minutes}"):]
		default:
			end := strings.IndexByte(s, '}')
			if end < 0 {
				end = len(s) - 1
			}
			return lockTemplate{}, errors.New("lock message placeholder " + strconv.Quote(s[:end+1]) + ": use {wait} or {minutes}")
		}
	}
	return t, nil
}

// hasWait reports whether the template names the wait.
func (t lockTemplate) hasWait() bool {
	for _, p := range t.parts {
		if p.slot != 0 {
			return true
		}
	}
	return false
}

// expand fills in the wait: secs is the rounded wait in seconds and wait
// its wording.
func (t lockTemplate) expand(secs int64, wait string) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.slot {
		case 'w':
			b.WriteString(wait)
		case 'm':
			b.WriteString(strconv.FormatInt((secs+59)/60, 10))
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// lockMessages are a guard's parsed lock messages.
type lockMessages struct {
	lock, hardLock lockTemplate
}

// newLockMessages fills the mode's defaults into cfg and parses the
// messages.
func newLockMessages(cfg *GuardConfig) (lockMessages, error) {
	switch cfg.UnlockMode {
	case "":
		cfg.UnlockMode = UnlockModeReset
	case UnlockModeReset, UnlockModeAdmin:
	default:
		return lockMessages{}, errors.New("unlock mode " + strconv.Quote(cfg.UnlockMode) + ": use reset or admin")
	}
	if cfg.UnlockMode == UnlockModeReset {
		if cfg.UnlockURL == "" {
			cfg.UnlockURL = DefaultUnlockURL
		}
		if cfg.LockMessage == "" {
			cfg.LockMessage = DefaultLockMessageReset
		}
		if cfg.HardLockMessage == "" {
			cfg.HardLockMessage = DefaultHardLockMessageReset
		}
	} else {
		// No self-service path exists: the answer offers none.
		cfg.UnlockURL = ""
		if cfg.LockMessage == "" {
			cfg.LockMessage = DefaultLockMessageAdmin
		}
		if cfg.HardLockMessage == "" {
			cfg.HardLockMessage = DefaultHardLockMessageAdmin
		}
	}
	var m lockMessages
	var err error
	if m.lock, err = parseLockTemplate(cfg.LockMessage); err != nil {
		return m, err
	}
	if m.hardLock, err = parseLockTemplate(cfg.HardLockMessage); err != nil {
		return m, errors.New("hard " + err.Error())
	}
	if m.hardLock.hasWait() {
		return m, errors.New("the hard lock message cannot name a wait: a hard lock has no end ({wait} and {minutes} are for the lock message)")
	}
	return m, nil
}

// sessionLockMessage is the answer to a session locked for wrong current
// passwords on change-password.
func (g *Guard) sessionLockMessage(wait string) string {
	if g.cfg.UnlockMode == UnlockModeAdmin {
		return "Too many wrong current passwords. Try again in " + wait + "."
	}
	return "Too many wrong current passwords. Try again in " + wait + ", or sign out and reset your password."
}
