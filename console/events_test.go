package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

func seedEvents(tc *testConsole) {
	at := func(m int) time.Time { return testNow.Add(-time.Duration(m) * time.Minute) }
	tc.ev.add(secevent.Event{ID: "a1", Time: at(50), Action: secevent.ActionSignInFailed, Outcome: secevent.OutcomeFailure, Reason: "INVALID_EMAIL_OR_PASSWORD", UserEmail: "alice@ocomms.test", UserName: "Alice Example", SourceIP: "203.0.113.9", Path: "/api/auth/sign-in/email", Method: "POST", Status: 401})
	tc.ev.add(secevent.Event{ID: "a2", Time: at(40), Action: secevent.ActionSignInFailed, Outcome: secevent.OutcomeFailure, UserEmail: "alice@ocomms.test", SourceIP: "203.0.113.9"})
	tc.ev.add(secevent.Event{ID: "a3", Time: at(30), Action: secevent.ActionAccountLocked, Outcome: secevent.OutcomeSuccess, UserEmail: "alice@ocomms.test", SourceIP: "203.0.113.9", Labels: map[string]string{"failures": "5"}})
	tc.ev.add(secevent.Event{ID: "b1", Time: at(20), Action: secevent.ActionSignInSucceeded, Outcome: secevent.OutcomeSuccess, UserEmail: "bob@ocomms.test", UserID: "ub", SourceIP: "198.51.100.2"})
	tc.ev.add(secevent.Event{ID: "r1", Time: at(10), Action: secevent.ActionRateLimited, Outcome: secevent.OutcomeFailure, Reason: "RATE_LIMITED", SourceIP: "203.0.113.9", Labels: map[string]string{"zone": "signin,api"}})
	tc.ev.add(secevent.Event{ID: "u1", Time: at(5), Action: secevent.ActionAdmin, Outcome: secevent.OutcomeSuccess, UserID: "u1", UserEmail: "root@ocomms.test", TargetUser: "carol@ocomms.test", TargetEmail: "carol@ocomms.test", Labels: map[string]string{"resource": "user dave@ocomms.test"}})
}

type eventsAnswer struct {
	Events   []eventView `json:"events"`
	Next     string      `json:"next"`
	TypedKey string      `json:"typed_key"`
}

func ids(evs []eventView) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.ID)
	}
	return strings.Join(s, ",")
}

// Filters narrow the list; no email or name ever reaches the page.
func TestEventsFiltersAndRedaction(t *testing.T) {
	tc := newTestConsole(t, admin)
	seedEvents(tc)
	for _, tt := range []struct{ query, want string }{
		{"", "u1,r1,b1,a3,a2,a1"},
		{"type=sign_in_failed", "a2,a1"},
		{"type=sign_in_failed,account_locked", "a3,a2,a1"},
		{"outcome=success", "u1,b1,a3"},
		{"ip=203.0.113.0/24", "r1,a3,a2,a1"},
		{"ip=198.51.100.2", "b1"},
		{"account=" + url.QueryEscape("ALICE@ocomms.test"), "a3,a2,a1"},
		{"account=ub", "b1"},
		{"account=" + fakeKey("alice@ocomms.test"), "a3,a2,a1"},
		{"account=" + fakeKey("carol@ocomms.test"), "u1"},
		{"since=25m", "u1,r1,b1"},
		{"since=45m&until=" + url.QueryEscape(testNow.Add(-15*time.Minute).Format(time.RFC3339)), "b1,a3,a2"},
		{"limit=2", "u1,r1"},
	} {
		var got eventsAnswer
		w := tc.get(t, "/ocomms/console/api/events?"+tt.query)
		decode(t, w, &got)
		if ids(got.Events) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.query, ids(got.Events), tt.want)
		}
		if strings.Contains(w.Body.String(), "@") || strings.Contains(w.Body.String(), "Alice Example") {
			t.Errorf("%s: an email or a name reached the page: %s", tt.query, w.Body)
		}
	}
	var got eventsAnswer
	decode(t, tc.get(t, "/ocomms/console/api/events?account=alice%40ocomms.test"), &got)
	if got.TypedKey != fakeKey("alice@ocomms.test") || got.Events[0].Account != got.TypedKey {
		t.Errorf("typed email: key %q, account %q", got.TypedKey, got.Events[0].Account)
	}
	// Paging: the cursor continues where the page ended.
	var p1, p2 eventsAnswer
	decode(t, tc.get(t, "/ocomms/console/api/events?limit=4"), &p1)
	decode(t, tc.get(t, "/ocomms/console/api/events?limit=4&after="+url.QueryEscape(p1.Next)), &p2)
	if ids(p1.Events) != "u1,r1,b1,a3" || p1.Next == "" || ids(p2.Events) != "a2,a1" || p2.Next != "" {
		t.Errorf("paging: %s next %q, then %s next %q", ids(p1.Events), p1.Next, ids(p2.Events), p2.Next)
	}
	for _, bad := range []string{"type=nope", "outcome=maybe", "ip=300.1.1.1", "since=yesterday", "limit=0", "limit=1000", "since=1h&until=2h"} {
		if w := tc.get(t, "/ocomms/console/api/events?"+bad); w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, w.Code)
		}
	}
}

// One event in full, ECS-named, with the events before it from its IP
// and of its account.
func TestEventDetail(t *testing.T) {
	tc := newTestConsole(t, admin)
	seedEvents(tc)
	at := testNow.Add(-30 * time.Minute).Format(time.RFC3339Nano)
	var got struct {
		Event     eventView      `json:"event"`
		ECS       map[string]any `json:"ecs"`
		ByIP      []eventView    `json:"by_ip"`
		ByAccount []eventView    `json:"by_account"`
	}
	w := tc.get(t, "/ocomms/console/api/event?id=a3&at="+url.QueryEscape(at))
	decode(t, w, &got)
	if got.Event.ID != "a3" || got.ECS["event.action"] != "account_locked" || got.ECS["user.hash"] != fakeKey("alice@ocomms.test") ||
		got.ECS["labels.failures"] != "5" || got.ECS["source.ip"] != "203.0.113.9" || got.ECS["event.kind"] != "event" {
		t.Errorf("detail: %+v", got)
	}
	if ids(got.ByIP) != "a2,a1" || ids(got.ByAccount) != "a2,a1" {
		t.Errorf("neighbours: ip %s, account %s", ids(got.ByIP), ids(got.ByAccount))
	}
	if strings.Contains(w.Body.String(), "ocomms.test") {
		t.Errorf("an email reached the page: %s", w.Body)
	}
	w = tc.get(t, "/ocomms/console/api/event?id=u1&at="+url.QueryEscape(testNow.Add(-5*time.Minute).Format(time.RFC3339Nano)))
	if strings.Contains(w.Body.String(), "ocomms.test") || !strings.Contains(w.Body.String(), `"user.target.hash":"`+fakeKey("carol@ocomms.test")) {
		t.Errorf("admin event detail: %s", w.Body)
	}
	if w := tc.get(t, "/ocomms/console/api/event?id=zz&at="+url.QueryEscape(at)); w.Code != http.StatusNotFound {
		t.Errorf("unknown event: %d", w.Code)
	}
	if w := tc.get(t, "/ocomms/console/api/event?id=a3&at=now"); w.Code != http.StatusBadRequest {
		t.Errorf("bad time: %d", w.Code)
	}
}
