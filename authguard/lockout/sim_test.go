package lockout

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sort"
	"testing"
	"time"
)

// TestLockoutSimulation is the SEC-07 proof: over 24 h an attacker sends
// 1,000 wrong passwords for one email from 50 IPs at random times, while
// the victim, holding yesterday's device cookie, signs in every 30
// minutes. The victim must get in at every probe (and get a fresh cookie
// each time); at most 30 attacker guesses may reach the app.
func TestLockoutSimulation(t *testing.T) { forEachStore(t, testLockoutSimulation) }

func testLockoutSimulation(t *testing.T, kind storeKind) {
	r := newRig(t, kind)
	ctx := context.Background()
	const email = "victim@ocomms.example"
	home := netip.MustParseAddr("203.0.113.5")
	cookie := r.deviceCookie(email, home)
	r.clock.Advance(24 * time.Hour) // the cookie is from yesterday
	start := r.clock.Now()

	rng := rand.New(rand.NewPCG(6, 7))
	ips := make([]netip.Addr, 50)
	for i := range ips {
		if i%2 == 0 {
			ips[i] = netip.AddrFrom4([4]byte{100, 64, byte(i), byte(rng.IntN(256))})
		} else {
			ips[i] = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
		}
	}
	type step struct {
		at     time.Duration
		victim bool
		ip     netip.Addr
	}
	var steps []step
	for i := 0; i < 1000; i++ {
		steps = append(steps, step{at: time.Duration(rng.Int64N(int64(24 * time.Hour))), ip: ips[rng.IntN(len(ips))]})
	}
	for at := time.Duration(0); at < 24*time.Hour; at += 30 * time.Minute {
		steps = append(steps, step{at: at + time.Second, victim: true, ip: home})
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })

	reached, victimIn, probes := 0, 0, 0
	for _, s := range steps {
		if d := start.Add(s.at).Sub(r.clock.Now()); d > 0 {
			r.clock.Advance(d)
		}
		if s.victim {
			probes++
			a := SignInAttempt{Email: email, IP: s.ip, DeviceCookie: cookie}
			adm, err := r.l.Begin(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if !adm.Admit || !adm.Trusted {
				t.Fatalf("victim refused at %v (%s, retry after %v)", s.at, adm.Reason, adm.RetryAfter)
			}
			st, err := r.l.Settle(ctx, a, adm, OutcomeSuccess)
			if err != nil || len(st.Cookies) != 1 || st.Cookies[0].Value == cookie {
				t.Fatalf("victim success at %v: %+v %v", s.at, st, err)
			}
			cookie = st.Cookies[0].Value
			victimIn++
			continue
		}
		a := SignInAttempt{Email: email, IP: s.ip}
		adm, err := r.l.Begin(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if adm.Admit {
			reached++
			if _, err := r.l.Settle(ctx, a, adm, OutcomeFailure); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%s: attacker guesses that reached the app in 24 h: %d of 1000; victim signed in at %d of %d probes", kind.name, reached, victimIn, probes)
	if victimIn != probes || probes != 48 {
		t.Fatalf("victim in at %d of %d probes", victimIn, probes)
	}
	if reached > 30 {
		t.Fatalf("%d attacker guesses reached the app, want at most 30", reached)
	}
	if reached < 25 {
		t.Fatalf("only %d attacker guesses reached the app: the schedule admits about 29 a day; the simulation is broken", reached)
	}
}
