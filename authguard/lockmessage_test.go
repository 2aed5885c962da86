package authguard

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
)

func lockAnswer(t *testing.T, g *Guard, adm lockout.Admission) map[string]any {
	t.Helper()
	w := httptest.NewRecorder()
	g.writeLockAnswer(w, adm)
	var b map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLockAnswerAdminMode: an app without a self-service reset gets an
// answer that offers none: wait or an administrator, no unlockUrl, even
// when unlock_url is set.
func TestLockAnswerAdminMode(t *testing.T) {
	tg := newTestGuard(t, func(c *GuardConfig) { c.UnlockMode = UnlockModeAdmin; c.UnlockURL = "/forgot-password" })
	b := lockAnswer(t, tg.g, lockout.Admission{Reason: lockout.ReasonLocked, RetryAfter: 15 * time.Minute})
	want := "Too many failed sign-in attempts. Try again in 15 minutes, or contact an administrator to unlock your account now."
	if _, has := b["unlockUrl"]; has || b["message"] != want || b["error"] != want || b["code"] != CodeAccountTemporarilyLocked {
		t.Fatalf("locked: %v", b)
	}
	b = lockAnswer(t, tg.g, lockout.Admission{Reason: lockout.ReasonHardLocked})
	if _, has := b["unlockUrl"]; has || b["message"] != DefaultHardLockMessageAdmin || strings.Contains(b["message"].(string), "eset") {
		t.Fatalf("hard locked: %v", b)
	}
	if tg.g.Config().UnlockURL != "" {
		t.Fatalf("admin mode keeps unlock URL %q", tg.g.Config().UnlockURL)
	}
	// change-password's session lock offers no reset either.
	if m := tg.g.sessionLockMessage("2 minutes"); strings.Contains(m, "reset") {
		t.Fatalf("session lock message %q", m)
	}
}

// TestLockAnswerTemplates: configured messages with the wait in words or
// in minutes.
func TestLockAnswerTemplates(t *testing.T) {
	tg := newTestGuard(t, func(c *GuardConfig) {
		c.LockMessage = "Locked for {minutes} min ({wait}). Ask #help."
		c.HardLockMessage = "Locked. Ask #help."
		c.UnlockURL = "/help"
	})
	b := lockAnswer(t, tg.g, lockout.Admission{Reason: lockout.ReasonLocked, RetryAfter: 29*time.Minute + time.Second})
	if b["message"] != "Locked for 30 min (30 minutes). Ask #help." || b["unlockUrl"] != "/help" || b["retryAfter"] != 1800.0 {
		t.Fatalf("locked: %v", b)
	}
	b = lockAnswer(t, tg.g, lockout.Admission{Reason: lockout.ReasonThrottled, RetryAfter: 2 * time.Second})
	if b["message"] != "Locked for 1 min (2 seconds). Ask #help." {
		t.Fatalf("throttled: %v", b)
	}
	if b = lockAnswer(t, tg.g, lockout.Admission{Reason: lockout.ReasonHardLocked}); b["message"] != "Locked. Ask #help." {
		t.Fatalf("hard: %v", b)
	}
}

func TestLockMessageConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*GuardConfig)
		want string
	}{
		{func(c *GuardConfig) { c.UnlockMode = "email" }, "use reset or admin"},
		{func(c *GuardConfig) { c.LockMessage = "Wait {mins}." }, `"{mins}"`},
		{func(c *GuardConfig) { c.LockMessage = "Wait {wait" }, "use {wait} or {minutes}"},
		{func(c *GuardConfig) { c.LockMessage = "   " }, "must not be empty"},
		{func(c *GuardConfig) { c.LockMessage = strings.Repeat("x", 501) }, "at most 500"},
		{func(c *GuardConfig) { c.HardLockMessage = "Wait {wait}." }, "cannot name a wait"},
	} {
		cfg := GuardConfig{ClientIP: remoteAddrIP}
		tc.mod(&cfg)
		if _, err := NewGuard(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", cfg, err, tc.want)
		}
	}
}
