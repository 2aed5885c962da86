package auditlog

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"
)

func testKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// memSink keeps what it is given; fail, when set, decides per call
// whether to refuse. It de-duplicates by (instance, seq) as the Sink
// contract requires, and counts what it was offered twice.
type memSink struct {
	name string
	mu   sync.Mutex
	recs []Record
	cps  []Checkpoint
	last map[string]uint64
	fail func() bool
	// replays counts records handed again after they were stored.
	replays int
	calls   int
}

func newMemSink(name string) *memSink { return &memSink{name: name, last: map[string]uint64{}} }

func (m *memSink) Name() string { return m.name }

func (m *memSink) Write(_ context.Context, recs []Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil && m.fail() {
		return fmt.Errorf("injected failure %d", m.calls)
	}
	for _, r := range recs {
		if r.Seq <= m.last[r.Instance] {
			m.replays++
			continue
		}
		if r.Seq != m.last[r.Instance]+1 {
			return fmt.Errorf("gap: got %d after %d", r.Seq, m.last[r.Instance])
		}
		m.last[r.Instance] = r.Seq
		r.Data = append([]byte(nil), r.Data...)
		m.recs = append(m.recs, r)
	}
	return nil
}

func (m *memSink) WriteCheckpoint(_ context.Context, cp Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil && m.fail() {
		return fmt.Errorf("injected checkpoint failure")
	}
	m.cps = append(m.cps, cp)
	return nil
}

func (m *memSink) Close() error { return nil }

func (m *memSink) snapshot() ([]Record, []Checkpoint) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.recs...), append([]Checkpoint(nil), m.cps...)
}

// sampleEvent returns a realistic event for action a, varied by i.
func sampleEvent(a Action, i int) Event {
	e := Event{
		Action:    a,
		Outcome:   OutcomeSuccess,
		SourceIP:  fmt.Sprintf("203.0.113.%d", i%250+1),
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
		Method:    "POST",
		Path:      "/api/auth/sign-in/email",
		Status:    200,
		UserEmail: fmt.Sprintf("user%d@example.com", i%53),
	}
	switch a {
	case ActionSignInFailed, ActionSignInRefused, ActionPasswordRejected, ActionCertFailed:
		e.Outcome, e.Status, e.Reason = OutcomeFailure, 401, "INVALID_EMAIL_OR_PASSWORD"
	case ActionAdmin:
		e.UserID, e.TargetUser, e.Path = "u_admin", fmt.Sprintf("u_%d", i), "/api/admin/ban-user"
		e.Labels = map[string]string{"resource": "user"}
	case ActionRateLimited:
		e.Outcome, e.Status, e.Labels = OutcomeFailure, 429, map[string]string{"zone": "sign_in"}
	case ActionAccountLocked:
		e.Labels = map[string]string{"failures": "5", "lock_until": "2026-12-01T08:00:00Z"}
	case ActionAccountUnlocked:
		e.TargetEmail, e.UserID, e.Labels = e.UserEmail, "u_admin", map[string]string{"unlock_by": "admin"}
	case ActionCSPViolation:
		e.UserEmail, e.Labels = "", map[string]string{"directive": "script-src"}
	case ActionMFASucceeded:
		e.UserEmail, e.Path = "", "/api/auth/two-factor/verify-totp"
		e.Labels = map[string]string{"method": "totp", "account_key": "00112233445566778899aabbccddeeff"}
	case ActionMFAFailed, ActionMFARefused, ActionMFALocked:
		e.UserEmail, e.Path, e.Outcome = "", "/api/auth/two-factor/verify-totp", OutcomeFailure
		e.Status, e.Reason = 401, "INVALID_CODE"
		e.Labels = map[string]string{"method": "totp", "account_key": "00112233445566778899aabbccddeeff", "failures": "5"}
		if a == ActionMFALocked {
			e.Labels["lock_until"] = "2026-12-01T08:30:15Z"
		}
		if a == ActionMFARefused {
			e.Status, e.Reason = 429, "TWO_FACTOR_LOCKED"
		}
	case ActionCertObtained, ActionCertRenewed, ActionConfigLoaded:
		e.UserEmail, e.SourceIP, e.Method, e.Path, e.Status, e.UserAgent = "", "", "", "", 0, ""
		e.Labels = map[string]string{"subjects": "chat.example.com"}
	}
	return e
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is a settable clock for the pipeline and stores.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func testClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *fakeClock) advanceDay() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(24 * time.Hour)
}
