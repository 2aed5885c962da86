package twofactor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/twofactor"
)

// TestCodesCountedPerAccountAndLock: wrong codes count on the account
// across pending sign-ins; progressive waits come first, then the lock at
// the fifth; a right code before the lock clears the count.
func TestCodesCountedPerAccountAndLock(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *clock, s twofactor.Store) {
		l := newLimiter(t, s, nil)
		// Two failures, then a success clears.
		for i := range 2 {
			_, st := try(t, l, pending(t, l, fmt.Sprintf("p%d", i), acctA), twofactor.KindCode, twofactor.Failure)
			if st.Failures != i+1 {
				t.Fatalf("failure %d: count %d", i+1, st.Failures)
			}
			c.Advance(time.Minute)
		}
		if _, st := try(t, l, pending(t, l, "ok", acctA), twofactor.KindCode, twofactor.Success); !st.Cleared || st.Failures != 0 {
			t.Fatalf("success: %+v", st)
		}
		// Five in a row, each after its wait: the fifth locks for 1h.
		for i := 1; i <= 5; i++ {
			subj := pending(t, l, fmt.Sprintf("q%d", i), acctA)
			adm, st := try(t, l, subj, twofactor.KindCode, twofactor.Failure)
			if !adm.Admit {
				t.Fatalf("attempt %d refused: %+v", i, adm)
			}
			if (i == 5) != st.Locked {
				t.Fatalf("attempt %d: %+v", i, st)
			}
			if i == 2 {
				// The progressive wait after the second failure is 5s.
				adm, _ := l.Begin(ctx, pending(t, l, "hurry", acctA), twofactor.KindCode)
				if adm.Admit || adm.Reason != twofactor.ReasonThrottled || adm.RetryAfter != 5*time.Second {
					t.Fatalf("no progressive wait: %+v", adm)
				}
			}
			c.Advance(time.Minute)
		}
		adm, _ := l.Begin(ctx, pending(t, l, "locked", acctA), twofactor.KindCode)
		if adm.Admit || adm.Reason != twofactor.ReasonLocked || adm.RetryAfter != 59*time.Minute || adm.Account != acctA {
			t.Fatalf("while locked: %+v", adm)
		}
		// Another account is untouched.
		if adm, _ := try(t, l, pending(t, l, "b", acctB), twofactor.KindCode, twofactor.NotCounted); !adm.Admit {
			t.Fatalf("other account: %+v", adm)
		}
		// After the lock: one attempt; its failure locks for 4h.
		c.Advance(59 * time.Minute)
		_, st := try(t, l, pending(t, l, "after", acctA), twofactor.KindCode, twofactor.Failure)
		if !st.Locked || !st.LockedUntil.Equal(c.Now().Add(4*time.Hour)) {
			t.Fatalf("second lock: %+v", st)
		}
	})
}

// TestBackupCodesHaveTheirOwnBudget: a user whose codes are locked can
// still recover with a backup code, and its success clears the code lock;
// wrong backup codes lock only backup codes.
func TestBackupCodesHaveTheirOwnBudget(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *clock, s twofactor.Store) {
		l := newLimiter(t, s, nil)
		for i := range 5 {
			try(t, l, pending(t, l, fmt.Sprintf("p%d", i), acctA), twofactor.KindCode, twofactor.Failure)
			c.Advance(time.Minute)
		}
		subj := pending(t, l, "victim", acctA)
		if adm, _ := l.Begin(ctx, subj, twofactor.KindCode); adm.Admit || adm.Reason != twofactor.ReasonLocked {
			t.Fatalf("codes not locked: %+v", adm)
		}
		adm, st := try(t, l, subj, twofactor.KindBackup, twofactor.Success)
		if !adm.Admit || !st.Cleared {
			t.Fatalf("backup code: %+v %+v", adm, st)
		}
		if adm, _ := try(t, l, pending(t, l, "again", acctA), twofactor.KindCode, twofactor.NotCounted); !adm.Admit {
			t.Fatalf("code lock not cleared by the backup code: %+v", adm)
		}
		// Five wrong backup codes lock backup codes only.
		for i := range 5 {
			_, st := try(t, l, pending(t, l, fmt.Sprintf("b%d", i), acctA), twofactor.KindBackup, twofactor.Failure)
			if (i == 4) != st.Locked {
				t.Fatalf("backup failure %d: %+v", i+1, st)
			}
		}
		if adm, _ := l.Begin(ctx, pending(t, l, "b9", acctA), twofactor.KindBackup); adm.Admit || adm.Reason != twofactor.ReasonLocked {
			t.Fatalf("backup codes not locked: %+v", adm)
		}
		if adm, _ := try(t, l, pending(t, l, "c9", acctA), twofactor.KindCode, twofactor.NotCounted); !adm.Admit {
			t.Fatalf("codes refused by the backup lock: %+v", adm)
		}
	})
}

// TestPendingSignInBudgetAndUnknownCookies: one pending sign-in gets three
// wrong codes, then must sign in again; a cookie the guard never saw at
// sign-in (a forged or re-encoded one) and no subject at all are refused;
// a right code ends the pending sign-in.
func TestPendingSignInBudgetAndUnknownCookies(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *clock, s twofactor.Store) {
		l := newLimiter(t, s, func(o *twofactor.Options) { o.Delays = []time.Duration{} })
		subj := pending(t, l, "one", acctA)
		for i := range 3 {
			if adm, _ := try(t, l, subj, twofactor.KindCode, twofactor.Failure); !adm.Admit {
				t.Fatalf("failure %d refused: %+v", i+1, adm)
			}
		}
		adm, _ := l.Begin(ctx, subj, twofactor.KindCode)
		if adm.Admit || adm.Reason != twofactor.ReasonSpent {
			t.Fatalf("spent pending sign-in: %+v", adm)
		}
		// A backup code still goes through on it.
		if adm, _ := try(t, l, subj, twofactor.KindBackup, twofactor.NotCounted); !adm.Admit {
			t.Fatalf("backup code on a spent pending sign-in: %+v", adm)
		}
		for _, s := range []twofactor.Subject{{Pending: "never-seen", IP: ip1}, {IP: ip1}} {
			if adm, _ := l.Begin(ctx, s, twofactor.KindCode); adm.Admit || adm.Reason != twofactor.ReasonUnknown {
				t.Fatalf("%+v: %+v", s, adm)
			}
			if adm, _ := l.AllowSend(ctx, s); adm.Admit || adm.Reason != twofactor.ReasonUnknown {
				t.Fatalf("send %+v: %+v", s, adm)
			}
		}
		ok := pending(t, l, "two", acctA)
		try(t, l, ok, twofactor.KindCode, twofactor.Success)
		if adm, _ := l.Begin(ctx, ok, twofactor.KindCode); adm.Reason != twofactor.ReasonUnknown {
			t.Fatalf("pending sign-in kept after success: %+v", adm)
		}
		// Expiry.
		old := pending(t, l, "three", acctA)
		c.Advance(11 * time.Minute)
		if adm, _ := l.Begin(ctx, old, twofactor.KindCode); adm.Reason != twofactor.ReasonUnknown {
			t.Fatalf("expired pending sign-in: %+v", adm)
		}
	})
}

// TestSessionSubject: with no two-factor cookie, the session is the
// subject (enabling two-factor): counted and locked per session.
func TestSessionSubject(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *clock, s twofactor.Store) {
		l := newLimiter(t, s, func(o *twofactor.Options) { o.Delays = []time.Duration{} })
		subj := twofactor.Subject{Session: "sess-token.sig", IP: ip1}
		for i := range 5 {
			if _, st := try(t, l, subj, twofactor.KindCode, twofactor.Failure); (i == 4) != st.Locked {
				t.Fatalf("failure %d: %+v", i+1, st)
			}
		}
		if adm, _ := l.Begin(ctx, subj, twofactor.KindCode); adm.Admit || adm.Reason != twofactor.ReasonLocked || adm.Account != "" {
			t.Fatalf("session lock: %+v", adm)
		}
		if adm, _ := try(t, l, twofactor.Subject{Session: "other"}, twofactor.KindCode, twofactor.NotCounted); !adm.Admit {
			t.Fatalf("other session: %+v", adm)
		}
	})
}

// TestConcurrentAttemptsCannotExceedTheBudget: attempts in flight hold
// slots, so a burst admits no more than the budget; an attempt never
// settled counts as a wrong code in the daily tally once its reservation
// expires.
func TestConcurrentAttemptsCannotExceedTheBudget(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *clock, s twofactor.Store) {
		l := newLimiter(t, s, nil)
		admitted := 0
		var held []twofactor.Admission
		for i := range 20 {
			adm := beginCode(t, l, fmt.Sprintf("burst%d", i))
			if adm.Admit {
				admitted++
				held = append(held, adm)
			}
		}
		if admitted != 5 {
			t.Fatalf("burst of 20 on fresh pending sign-ins admitted %d, want the account's 5", admitted)
		}
		for _, adm := range held {
			if _, err := l.Settle(ctx, adm, twofactor.Failure); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Settle(ctx, adm, twofactor.Failure); err == nil {
				t.Fatal("settled twice")
			}
		}
		if adm, _ := l.Begin(ctx, pending(t, l, "after", acctA), twofactor.KindCode); adm.Reason != twofactor.ReasonLocked {
			t.Fatalf("after the burst: %+v", adm)
		}
	})
}

// TestSendOTPRate: 3 per 10 minutes per account (across pending sign-ins)
// and 10 per IP across accounts.
func TestSendOTPRate(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *clock, s twofactor.Store) {
		l := newLimiter(t, s, nil)
		for i := range 4 {
			adm, err := l.AllowSend(ctx, pending(t, l, fmt.Sprintf("s%d", i), acctA))
			if err != nil {
				t.Fatal(err)
			}
			if adm.Admit != (i < 3) {
				t.Fatalf("send %d: %+v", i+1, adm)
			}
			if i == 3 && (adm.Reason != twofactor.ReasonSendRate || adm.RetryAfter != 10*time.Minute) {
				t.Fatalf("send refusal: %+v", adm)
			}
		}
		c.Advance(10*time.Minute + time.Second)
		if adm, _ := l.AllowSend(ctx, pending(t, l, "later", acctA)); !adm.Admit {
			t.Fatalf("after the window: %+v", adm)
		}
		// Per IP: 10 across accounts (one was used above).
		n := 0
		for i := range 12 {
			acct := fmt.Sprintf("%032x", i+1)
			if adm, _ := l.AllowSend(ctx, pending(t, l, fmt.Sprintf("ip%d", i), acct)); adm.Admit {
				n++
			}
		}
		if n != 9 {
			t.Fatalf("per-IP sends admitted %d, want 9", n)
		}
	})
}

// TestUnlock clears an account's locks and its daily tally.
func TestUnlock(t *testing.T) {
	forEachStore(t, func(t *testing.T, c *clock, s twofactor.Store) {
		l := newLimiter(t, s, func(o *twofactor.Options) { o.Delays = []time.Duration{} })
		for i := range 5 {
			try(t, l, pending(t, l, fmt.Sprintf("u%d", i), acctA), twofactor.KindCode, twofactor.Failure)
		}
		had, err := l.Unlock(ctx, acctA)
		if err != nil || !had {
			t.Fatalf("unlock: %v %v", had, err)
		}
		if adm, _ := l.Begin(ctx, pending(t, l, "x", acctA), twofactor.KindCode); !adm.Admit {
			t.Fatalf("after unlock: %+v", adm)
		}
		if had, err := l.Unlock(ctx, acctB); err != nil || had {
			t.Fatalf("unlock of a clean account: %v %v", had, err)
		}
		if _, err := l.Unlock(ctx, "not-a-key"); err == nil {
			t.Fatal("bad key accepted")
		}
	})
}

// TestOptions: the daily cap must keep the guessing chance below 1e-4.
func TestOptions(t *testing.T) {
	s := storeKinds[0].make(t, newClock())
	if _, err := twofactor.New(twofactor.Options{Secret: secret, Store: s, DailyCap: 34}); err == nil {
		t.Fatal("daily cap 34 accepted")
	}
	if _, err := twofactor.New(twofactor.Options{Secret: secret, Store: s, DailyCap: twofactor.MaxDailyCap}); err != nil {
		t.Fatal(err)
	}
	if _, err := twofactor.New(twofactor.Options{Secret: secret[:8], Store: s}); err == nil {
		t.Fatal("short secret accepted")
	}
	if p := twofactor.GuessProbability(twofactor.MaxDailyCap); p >= twofactor.MaxDailyGuessProbability {
		t.Fatalf("MaxDailyCap gives %v", p)
	}
}
