package auditlog

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"testing"
	"time"
)

// pgQueryFixture stores 2,000 synthetic events across three days from two
// chains and returns them, for queries compared against a filter in Go.
func pgQueryFixture(t *testing.T) (*PostgresSink, []Event) {
	t.Helper()
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0)
	var all []Event
	for ci, inst := range []string{"edge-q1", "edge-q2"} {
		evs := make([]Event, 1000)
		for i := range evs {
			k := ci*1000 + i
			// Every 3rd event shares a timestamp with its neighbour: the
			// keyset must still be exact.
			evs[i] = pgTestEvent(k, pgT0.Add(-72*time.Hour).Add(time.Duration(i/3)*200*time.Second))
			if k%7 == 0 {
				evs[i].SourceIP = "2001:db8::" + string(rune('a'+k%5))
			}
		}
		recs := pgChain(inst, 1, [32]byte{}, evs)
		if err := s.Write(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			all = append(all, *r.Event)
		}
	}
	return s, all
}

func pgInPrefix(cidr string) func(Event) bool {
	p := netip.MustParsePrefix(cidr)
	return func(e Event) bool {
		a, err := netip.ParseAddr(e.SourceIP)
		return err == nil && p.Contains(a)
	}
}

// TestPostgresQueryFilters runs each filter and the keyset pagination
// against the same filter evaluated in Go over what was written.
func TestPostgresQueryFilters(t *testing.T) {
	s, all := pgQueryFixture(t)
	ctx := context.Background()
	mid := pgT0.Add(-64 * time.Hour)
	cases := []struct {
		name string
		f    Filter
		keep func(Event) bool
	}{
		{"all", Filter{}, func(Event) bool { return true }},
		{"user", Filter{UserID: "user-7"}, func(e Event) bool { return e.UserID == "user-7" }},
		{"email any case", Filter{Email: "USER7@example.com"}, func(e Event) bool { return e.UserEmail == "user7@example.com" }},
		{"ip", Filter{IP: "203.0.113.5"}, func(e Event) bool { return e.SourceIP == "203.0.113.5" }},
		{"cidr", Filter{IP: "203.0.113.0/29"}, pgInPrefix("203.0.113.0/29")},
		{"v6 cidr", Filter{IP: "2001:db8::/64"}, pgInPrefix("2001:db8::/64")},
		{"action+outcome", Filter{Actions: []Action{ActionSignInFailed}, Outcome: OutcomeFailure}, func(e Event) bool { return e.Action == ActionSignInFailed }},
		{"actions", Filter{Actions: []Action{ActionAdmin, ActionRateLimited}}, func(e Event) bool { return e.Action == ActionAdmin || e.Action == ActionRateLimited }},
		{"window", Filter{Since: mid, Until: mid.Add(3 * time.Hour)}, func(e Event) bool { return !e.Time.Before(mid) && e.Time.Before(mid.Add(3*time.Hour)) }},
		{"user+window", Filter{UserID: "user-3", Since: mid}, func(e Event) bool { return e.UserID == "user-3" && !e.Time.Before(mid) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			var wantEv []Event
			for _, e := range all {
				if tc.keep(e) {
					wantEv = append(wantEv, e)
				}
			}
			sort.SliceStable(wantEv, func(i, j int) bool {
				a, b := wantEv[i], wantEv[j]
				if !a.Time.Equal(b.Time) {
					return a.Time.After(b.Time)
				}
				if a.Instance != b.Instance {
					return a.Instance > b.Instance
				}
				return a.Sequence > b.Sequence
			})
			for _, e := range wantEv {
				want = append(want, e.ID)
			}
			if len(want) == 0 {
				t.Fatal("fixture has no match: the case proves nothing")
			}
			f := tc.f
			f.Limit = 37
			var got []string
			pages := 0
			for {
				p, err := s.Query(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(p.Events) > 37 {
					t.Fatalf("page of %d > limit", len(p.Events))
				}
				for _, e := range p.Events {
					got = append(got, e.ID)
				}
				if p.Next == "" {
					break
				}
				if pages > 200 {
					t.Fatal("pagination does not end")
				}
				f.After = p.Next
			}
			if len(got) != len(want) {
				t.Fatalf("got %d events; want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("event %d: got %s; want %s", i, got[i], want[i])
				}
			}
		})
	}
	if _, err := s.Query(ctx, Filter{After: "garbage!"}); !errors.Is(err, ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := s.Query(ctx, Filter{IP: "300.1.1.1/8"}); !errors.Is(err, ErrBadIP) {
		t.Fatalf("bad IP: %v", err)
	}
}

// TestPostgresPivots checks AccountsFromIP and IPsForAccount counts
// against the written events.
func TestPostgresPivots(t *testing.T) {
	s, all := pgQueryFixture(t)
	ctx := context.Background()
	since, until := pgT0.Add(-100*time.Hour), pgT0

	accounts, err := s.AccountsFromIP(ctx, "203.0.113.4", since, until)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{}
	for _, e := range all {
		if e.SourceIP == "203.0.113.4" {
			w := want[e.UserEmail]
			w[0]++
			if e.Outcome == OutcomeFailure {
				w[1]++
			}
			want[e.UserEmail] = w
		}
	}
	if len(accounts) != len(want) || len(want) == 0 {
		t.Fatalf("accounts %d; want %d", len(accounts), len(want))
	}
	for _, p := range accounts {
		if w := want[p.Value]; w[0] != p.Events || w[1] != p.Failures || p.First.After(p.Last) {
			t.Fatalf("%s: %+v; want %v", p.Value, p, w)
		}
	}
	for i := 1; i < len(accounts); i++ {
		if accounts[i].Events > accounts[i-1].Events {
			t.Fatal("not ordered by events")
		}
	}

	for _, account := range []string{"user9@example.com", "user-9"} {
		ips, err := s.IPsForAccount(ctx, account, since, until)
		if err != nil {
			t.Fatal(err)
		}
		wantIPs := map[string]int{}
		for _, e := range all {
			if e.UserEmail == "user9@example.com" {
				wantIPs[e.SourceIP]++
			}
		}
		if len(ips) != len(wantIPs) {
			t.Fatalf("%s: %d IPs; want %d", account, len(ips), len(wantIPs))
		}
		for _, p := range ips {
			if wantIPs[p.Value] != p.Events {
				t.Fatalf("%s: %s has %d events; want %d", account, p.Value, p.Events, wantIPs[p.Value])
			}
		}
	}
	if none, err := s.AccountsFromIP(ctx, "198.51.100.0/24", since, until); err != nil || len(none) != 0 {
		t.Fatalf("empty pivot: %v %v", none, err)
	}
}
