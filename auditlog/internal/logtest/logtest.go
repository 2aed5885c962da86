package logtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestKey returns a fresh Ed25519 signing key.
func TestKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// SampleEvent returns a realistic event for action a, varied by i.
func SampleEvent(a secevent.Action, i int) secevent.Event {
	e := secevent.Event{
		Action:    a,
		Outcome:   secevent.OutcomeSuccess,
		SourceIP:  fmt.Sprintf("203.0.113.%d", i%250+1),
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
		Method:    "POST",
		Path:      "/api/auth/sign-in/email",
		Status:    200,
		UserEmail: fmt.Sprintf("user%d@example.com", i%53),
	}
	switch a {
	case secevent.ActionSignInFailed, secevent.ActionSignInRefused, secevent.ActionPasswordRejected, secevent.ActionCertFailed:
		e.Outcome, e.Status, e.Reason = secevent.OutcomeFailure, 401, "INVALID_EMAIL_OR_PASSWORD"
	case secevent.ActionAdmin:
		e.UserID, e.TargetUser, e.Path = "u_admin", fmt.Sprintf("u_%d", i), "/api/admin/ban-user"
		e.Labels = map[string]string{"resource": "user"}
	case secevent.ActionRateLimited:
		e.Outcome, e.Status, e.Labels = secevent.OutcomeFailure, 429, map[string]string{"zone": "sign_in"}
	case secevent.ActionAccountLocked:
		e.Labels = map[string]string{"failures": "5", "lock_until": "2026-12-01T08:00:00Z"}
	case secevent.ActionAccountUnlocked:
		e.TargetEmail, e.UserID, e.Labels = e.UserEmail, "u_admin", map[string]string{"unlock_by": "admin"}
	case secevent.ActionCSPViolation:
		e.UserEmail, e.Labels = "", map[string]string{"directive": "script-src"}
	case secevent.ActionCertObtained, secevent.ActionCertRenewed, secevent.ActionConfigLoaded:
		e.UserEmail, e.SourceIP, e.Method, e.Path, e.Status, e.UserAgent = "", "", "", "", 0, ""
		e.Labels = map[string]string{"subjects": "chat.example.com"}
	}
	return e
}

// WaitFor polls cond until it holds, failing t after a generous bound.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// GoldenEvent is SampleEvent with the pipeline's fields fixed.
func GoldenEvent(a secevent.Action) secevent.Event {
	e := SampleEvent(a, 7)
	e.ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
	e.Time = time.Date(2026, 12, 1, 7, 30, 15, 123456789, time.UTC)
	e.Instance = "edge-1"
	e.Sequence = 42
	return e
}

// IDs lists the event ids of evs, in order.
func IDs(evs []secevent.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// BuildRecords makes n chained records for instance inst, spread over
// days UTC days from start.
func BuildRecords(inst string, n int, start time.Time, days int) []record.Record {
	recs := make([]record.Record, 0, n)
	var prev [32]byte
	step := time.Duration(days) * 24 * time.Hour / time.Duration(n)
	for i := 0; i < n; i++ {
		e := SampleEvent(secevent.Actions()[i%12], i)
		e.ID = record.NewUUID()
		e.Time = start.Add(time.Duration(i) * step)
		e.Instance, e.Sequence = inst, uint64(i+1)
		data, err := record.MarshalEvent(e)
		if err != nil {
			panic(err)
		}
		h := record.ChainHash(prev, data)
		recs = append(recs, record.Record{Instance: inst, Seq: uint64(i + 1), EventID: e.ID, Time: e.Time, Data: data, PrevHash: prev, Hash: h})
		prev = h
	}
	return recs
}

// NormCP compares checkpoints by what is signed and stored.
func NormCP(cp record.Checkpoint) record.Checkpoint {
	cp.Time = cp.Time.UTC().Truncate(time.Microsecond)
	cp.Instance = record.Clean(cp.Instance, record.MaxShort)
	if len(cp.PublicKey) == 0 {
		cp.PublicKey = nil
	}
	if len(cp.Signature) == 0 {
		cp.Signature = nil
	}
	return cp
}
