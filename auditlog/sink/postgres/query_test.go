package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/sink/jsonl"
	"github.com/ocomms/ocomms-edge/secevent"
)

// pgQueryFixture stores 2,000 synthetic events across three days from two
// chains in Postgres and in a JSONL store, the reference the Postgres
// answers must equal.
func pgQueryFixture(t *testing.T) (*PostgresSink, *jsonl.JSONL, []secevent.Event) {
	t.Helper()
	url := sharedPGURL(t)
	s := pgNewSink(t, url, pgT0)
	j, err := jsonl.OpenJSONL(jsonl.JSONLConfig{Dir: t.TempDir(), RetentionDays: -1, Now: func() time.Time { return pgT0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	var all []secevent.Event
	for ci, inst := range []string{"edge-q1", "edge-q2"} {
		evs := make([]secevent.Event, 1000)
		for i := range evs {
			k := ci*1000 + i
			// Every 3rd event shares a timestamp with its neighbour: the
			// keyset must still be exact.
			evs[i] = pgTestEvent(k, pgT0.Add(-72*time.Hour).Add(time.Duration(i/3)*200*time.Second))
			if k%7 == 0 {
				evs[i].SourceIP = "2001:db8::" + string(rune('a'+k%5))
			}
			if k%11 == 0 { // an admin acting on another account
				evs[i].Action = secevent.ActionAdmin
				evs[i].TargetUser, evs[i].TargetEmail = "user-7", "USER7@example.com"
			}
			if k%13 == 0 {
				evs[i].UserID, evs[i].UserEmail, evs[i].UserName = "", "", "named-"+strconv.Itoa(k%3)
			}
		}
		recs := pgChain(inst, 1, [32]byte{}, evs)
		if err := s.Write(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		if err := j.Write(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			all = append(all, *r.Event)
		}
	}
	return s, j, all
}

// pgAllPages follows a query's cursor to the end.
func pgAllPages(t *testing.T, q query.Querier, f query.Filter) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		p, err := q.Query(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) > f.Limit {
			t.Fatalf("page of %d > limit %d", len(p.Events), f.Limit)
		}
		for _, e := range p.Events {
			ids = append(ids, e.ID)
		}
		if p.Next == "" {
			return ids
		}
		if pages > 500 {
			t.Fatal("pagination does not end")
		}
		f.After = p.Next
	}
}

// TestPostgresQueryMatchesJSONL runs each filter, paging 37 at a time,
// against Postgres and the JSONL store holding the same records: the
// same events must come back in the same order, and cursors from one
// store continue in the other.
func TestPostgresQueryMatchesJSONL(t *testing.T) {
	s, j, _ := pgQueryFixture(t)
	ctx := context.Background()
	mid := pgT0.Add(-64 * time.Hour)
	cases := []struct {
		name string
		f    query.Filter
	}{
		{"all", query.Filter{}},
		{"user or target", query.Filter{UserID: "user-7"}},
		{"email any case or target", query.Filter{Email: "USER7@example.com"}},
		{"user and email", query.Filter{UserID: "user-7", Email: "user7@example.com"}},
		{"ip", query.Filter{IP: "203.0.113.5"}},
		{"cidr", query.Filter{IP: "203.0.113.0/29"}},
		{"v6 cidr", query.Filter{IP: "2001:db8::/64"}},
		{"cidr+window", query.Filter{IP: "203.0.113.0/28", Since: mid, Until: mid.Add(5 * time.Hour)}},
		{"every v4", query.Filter{IP: "0.0.0.0/0"}},
		{"action+outcome", query.Filter{Actions: []secevent.Action{secevent.ActionSignInFailed}, Outcome: secevent.OutcomeFailure}},
		{"actions", query.Filter{Actions: []secevent.Action{secevent.ActionAdmin, secevent.ActionRateLimited}}},
		{"window", query.Filter{Since: mid, Until: mid.Add(3 * time.Hour)}},
		{"user+window", query.Filter{UserID: "user-3", Since: mid}},
		{"user+ip+action", query.Filter{UserID: "user-7", IP: "203.0.113.7", Actions: []secevent.Action{secevent.ActionSignInFailed, secevent.ActionAdmin}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.Limit = 37
			want := pgAllPages(t, j, f)
			got := pgAllPages(t, s, f)
			if len(want) == 0 {
				t.Fatal("no match in the fixture: the case proves nothing")
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("postgres returned %d events, jsonl %d, or another order", len(got), len(want))
			}
			// A Postgres cursor continues in JSONL and vice versa.
			f.Limit = 5
			p1, err := s.Query(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if p1.Next != "" {
				f.After = p1.Next
				a, errA := s.Query(ctx, f)
				b, errB := j.Query(ctx, f)
				if errA != nil || errB != nil || len(a.Events) != len(b.Events) || (len(a.Events) > 0 && a.Events[0].ID != b.Events[0].ID) {
					t.Fatalf("cursor not interchangeable: %v %v", errA, errB)
				}
			}
		})
	}
	if _, err := s.Query(ctx, query.Filter{After: "garbage!"}); !errors.Is(err, query.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := s.Query(ctx, query.Filter{IP: "300.1.1.1/8"}); !errors.Is(err, ErrBadIP) {
		t.Fatalf("bad IP: %v", err)
	}
}

// TestPostgresPivotsMatchJSONL compares AccountsFromIP and IPsForAccount
// with the JSONL store's answers on the same records.
func TestPostgresPivotsMatchJSONL(t *testing.T) {
	s, j, _ := pgQueryFixture(t)
	ctx := context.Background()
	since, until := pgT0.Add(-100*time.Hour), pgT0
	same := func(what string, a, b []query.Pivot, errA, errB error) {
		t.Helper()
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v %v", what, errA, errB)
		}
		if len(b) == 0 {
			t.Fatalf("%s: empty in the reference: the case proves nothing", what)
		}
		if len(a) != len(b) {
			t.Fatalf("%s: postgres %d rows, jsonl %d", what, len(a), len(b))
		}
		for i := range a {
			if a[i].Value != b[i].Value || a[i].Events != b[i].Events || a[i].Failures != b[i].Failures ||
				!a[i].First.Equal(b[i].First) || !a[i].Last.Equal(b[i].Last) {
				t.Fatalf("%s row %d: postgres %+v, jsonl %+v", what, i, a[i], b[i])
			}
		}
	}
	for _, ip := range []string{"203.0.113.4", "203.0.113.0/28", "2001:db8::/32"} {
		a, errA := s.AccountsFromIP(ctx, ip, since, until)
		b, errB := j.AccountsFromIP(ctx, ip, since, until)
		same("accounts from "+ip, a, b, errA, errB)
	}
	// An identity provider whose user id is the email: each event matches
	// on both columns and must count once.
	evs := make([]secevent.Event, 30)
	for i := range evs {
		evs[i] = pgTestEvent(i, pgT0.Add(-50*time.Hour).Add(time.Duration(i)*time.Minute))
		evs[i].UserID, evs[i].UserEmail = "dual@example.com", "dual@example.com"
	}
	recs := pgChain("edge-q3", 1, [32]byte{}, evs)
	if err := s.Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := j.Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
	for _, account := range []string{"user9@example.com", "USER9@example.com", "user-9", "named-1", "dual@example.com", "DUAL@example.com"} {
		a, errA := s.IPsForAccount(ctx, account, since, until)
		b, errB := j.IPsForAccount(ctx, account, since, until)
		same("IPs for "+account, a, b, errA, errB)
	}
	if none, err := s.AccountsFromIP(ctx, "198.51.100.0/24", since, until); err != nil || len(none) != 0 {
		t.Fatalf("empty pivot: %v %v", none, err)
	}
}
