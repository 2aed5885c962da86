package twofactor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/twofactor"
)

// attacker is a strategy against one account: it is asked to act at the
// clock's time and returns how long to wait before acting again.
type attacker func(t *testing.T, l *twofactor.Limiter, c *clock, n int, guess func()) time.Duration

// TestSimulatedMonthGuessBound runs attackers who hold the password
// (so they can open a fresh pending sign-in for every guess) against one
// account for 30 simulated days with the default options, and checks the
// arithmetic of the defaults: in every rolling 24 hours at most DailyCap
// codes reach the app, so the chance of guessing a TOTP code
// (3 accepted of 10^6 per guess) stays below 1 in 10,000 per day. The
// strategies: as fast as the guard allows, one pending sign-in per guess
// (rotating pending sessions); bursts of parallel guesses; guesses whose
// answers never settle (reservations expire); and all of that while the
// real user signs in with a right code every two hours (a success clears
// the lock but must not hand the attacker fresh guesses).
func TestSimulatedMonthGuessBound(t *testing.T) {
	strategies := map[string]attacker{
		"rotating pending sessions": func(t *testing.T, l *twofactor.Limiter, c *clock, n int, guess func()) time.Duration {
			adm := beginCode(t, l, fmt.Sprintf("rot%d", n))
			if !adm.Admit {
				return adm.RetryAfter
			}
			guess()
			if _, err := l.Settle(ctx, adm, twofactor.Failure); err != nil {
				t.Fatal(err)
			}
			return time.Second
		},
		"parallel bursts": func(t *testing.T, l *twofactor.Limiter, c *clock, n int, guess func()) time.Duration {
			var held []twofactor.Admission
			wait := time.Duration(0)
			for i := range 50 {
				adm := beginCode(t, l, fmt.Sprintf("par%d-%d", n, i))
				if adm.Admit {
					guess()
					held = append(held, adm)
				} else if wait == 0 || adm.RetryAfter < wait {
					wait = adm.RetryAfter
				}
			}
			for _, adm := range held {
				if _, err := l.Settle(ctx, adm, twofactor.Failure); err != nil {
					t.Fatal(err)
				}
			}
			if len(held) > 0 {
				return time.Second
			}
			return wait
		},
		"never settled": func(t *testing.T, l *twofactor.Limiter, c *clock, n int, guess func()) time.Duration {
			adm := beginCode(t, l, fmt.Sprintf("lost%d", n))
			if !adm.Admit {
				return adm.RetryAfter
			}
			guess() // the app checks the code; the guard never hears back
			return time.Second
		},
	}
	for name, strategy := range strategies {
		for _, victim := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/victim=%v", name, victim), func(t *testing.T) {
				runMonth(t, strategy, victim)
			})
		}
	}
}

func runMonth(t *testing.T, strategy attacker, victim bool) {
	c := newClock()
	l := newLimiter(t, storeKinds[0].make(t, c), nil)
	start := c.Now()
	end := start.Add(30 * 24 * time.Hour)
	var guesses []time.Time
	guess := func() { guesses = append(guesses, c.Now()) }
	nextVictim := start.Add(2 * time.Hour)
	for n := 0; c.Now().Before(end); n++ {
		wait := strategy(t, l, c, n, guess)
		for victim && !c.Now().Add(wait).Before(nextVictim) {
			c.Advance(nextVictim.Sub(c.Now()))
			wait = 0
			// The user signs in with a right code (or a backup code when
			// the attacker locked the codes).
			adm := beginCode(t, l, fmt.Sprintf("victim%d", n))
			if !adm.Admit {
				var err error
				adm, err = l.Begin(ctx, pending(t, l, fmt.Sprintf("victim-b%d", n), acctA), twofactor.KindBackup)
				if err != nil || !adm.Admit {
					t.Fatalf("the user cannot recover with a backup code: %+v %v", adm, err)
				}
			}
			if _, err := l.Settle(ctx, adm, twofactor.Success); err != nil {
				t.Fatal(err)
			}
			nextVictim = nextVictim.Add(2 * time.Hour)
		}
		c.Advance(max(wait, time.Millisecond))
	}
	// The most guesses in any rolling 24 hours, and per calendar day.
	most, j := 0, 0
	perDay := map[int]int{}
	for i, g := range guesses {
		for g.Sub(guesses[j]) >= 24*time.Hour {
			j++
		}
		most = max(most, i-j+1)
		perDay[int(g.Sub(start)/(24*time.Hour))]++
	}
	cap := l.Options().DailyCap
	p := twofactor.GuessProbability(most)
	t.Logf("%s: %d guesses in 30 days; at most %d in any 24 h (cap %d): P(guess a TOTP code) per day ≤ 3·%d/10^6 = %.1e", t.Name(), len(guesses), most, cap, most, p)
	if most > cap {
		t.Fatalf("%d guesses in 24 h, above the daily cap %d", most, cap)
	}
	if p >= 1e-4 {
		t.Fatalf("guessing chance per day %.2e, not below 1e-4", p)
	}
	if len(perDay) < 29 || most == 0 {
		t.Fatalf("the attacker was not active every day (%d days, most %d): the simulation proves nothing", len(perDay), most)
	}
}
