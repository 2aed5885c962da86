package console

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

func lineOf(b Buckets, chart, name string) []int {
	for _, s := range b.Series {
		if s.Chart == chart && s.Name == name {
			return s.Counts
		}
	}
	return nil
}

func sum(c []int) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Events are counted server-side into the window's buckets, per chart
// line: zones split, refusals by reason, events outside the window left
// out.
func TestSeriesBuckets(t *testing.T) {
	tc := newTestConsole(t, admin)
	at := func(d time.Duration) time.Time { return testNow.Add(-d) }
	for range 3 {
		tc.ev.add(secevent.Event{Time: at(90 * time.Second), Action: secevent.ActionSignInFailed})
	}
	tc.ev.add(secevent.Event{Time: at(30 * time.Minute), Action: secevent.ActionSignInFailed})
	tc.ev.add(secevent.Event{Time: at(20 * time.Second), Action: secevent.ActionAccountLocked})
	tc.ev.add(secevent.Event{Time: at(5 * time.Minute), Action: secevent.ActionRateLimited, Labels: map[string]string{"zone": "signin,api"}})
	tc.ev.add(secevent.Event{Time: at(6 * time.Minute), Action: secevent.ActionRequestRefused, Reason: "BODY_TOO_LARGE"})
	tc.ev.add(secevent.Event{Time: at(7 * time.Minute), Action: secevent.ActionSignInRefused, Reason: "ACCOUNT_LOCKED"})
	tc.ev.add(secevent.Event{Time: at(8 * time.Minute), Action: secevent.ActionCSPViolation, Labels: map[string]string{"directive": "script-src-elem"}})
	tc.ev.add(secevent.Event{Time: at(2 * time.Hour), Action: secevent.ActionSignInFailed})
	tc.ev.add(secevent.Event{Time: at(time.Minute), Action: secevent.ActionSignInSucceeded})

	var b Buckets
	decode(t, tc.get(t, "/ocomms/console/api/series?window=hour"), &b)
	if len(b.Times) != 60 || b.Step != 60 || b.Truncated {
		t.Fatalf("hour: %d buckets, step %d, truncated %v", len(b.Times), b.Step, b.Truncated)
	}
	// The last bucket is the minute now is in (12:00).
	if last := time.Unix(b.Times[59], 0).UTC(); !last.Equal(testNow.Truncate(time.Minute)) {
		t.Errorf("last bucket starts %s", last)
	}
	failed := lineOf(b, "signin", "sign_in_failed")
	if sum(failed) != 4 || failed[58] != 3 || failed[59-30] != 1 {
		t.Errorf("sign_in_failed: %v", failed)
	}
	if l := lineOf(b, "signin", "account_locked"); sum(l) != 1 || l[59] != 1 {
		t.Errorf("account_locked: %v", l)
	}
	if sum(lineOf(b, "ratelimit", "signin")) != 1 || sum(lineOf(b, "ratelimit", "api")) != 1 {
		t.Errorf("zones: %+v", b.Series)
	}
	if sum(lineOf(b, "refusals", "BODY_TOO_LARGE")) != 1 || sum(lineOf(b, "refusals", "ACCOUNT_LOCKED")) != 1 || sum(lineOf(b, "csp", "csp_violation")) != 1 {
		t.Errorf("refusals or csp: %+v", b.Series)
	}
	if len(b.Series) != 7 {
		t.Errorf("want 7 lines (sign-in success is not charted), got %+v", b.Series)
	}

	decode(t, tc.get(t, "/ocomms/console/api/series?window=day"), &b)
	if len(b.Times) != 96 || b.Step != 900 || sum(lineOf(b, "signin", "sign_in_failed")) != 5 {
		t.Errorf("day: %d buckets, step %d, %v", len(b.Times), b.Step, lineOf(b, "signin", "sign_in_failed"))
	}
	if w := tc.get(t, "/ocomms/console/api/series?window=week"); w.Code != http.StatusBadRequest {
		t.Errorf("bad window: %d", w.Code)
	}
}

// A window with more events than MaxScan says so instead of pretending.
func TestSeriesTruncated(t *testing.T) {
	tc := newTestConsole(t, admin)
	tc.h.cfg.MaxScan = 1000
	for i := range 2500 {
		tc.ev.add(secevent.Event{Time: testNow.Add(-time.Duration(i) * time.Second), Action: secevent.ActionSignInFailed})
	}
	var b Buckets
	decode(t, tc.get(t, "/ocomms/console/api/series"), &b)
	if !b.Truncated || b.Scanned != 1000 || sum(lineOf(b, "signin", "sign_in_failed")) != 1000 {
		t.Errorf("truncated %v scanned %d counted %d", b.Truncated, b.Scanned, sum(lineOf(b, "signin", "sign_in_failed")))
	}
}

// CSP reports are grouped by directive and blocked URI, biggest first.
func TestCSPGroups(t *testing.T) {
	tc := newTestConsole(t, admin)
	add := func(min int, dir, blocked, doc string) {
		tc.ev.add(secevent.Event{Time: testNow.Add(-time.Duration(min) * time.Minute), Action: secevent.ActionCSPViolation,
			Labels: map[string]string{"directive": dir, "blocked_uri": blocked, "document_uri": doc}})
	}
	add(1, "script-src-elem", "https://cdn.example/x.js", "https://edge.test/new")
	add(2, "script-src-elem", "https://cdn.example/x.js", "https://edge.test/old")
	add(3, "script-src-elem", "https://cdn.example/x.js", "https://edge.test/old")
	add(4, "img-src", "https://img.example/a.png", "https://edge.test/")
	add(5, "script-src-elem", "inline", "https://edge.test/")
	add(90, "img-src", "https://img.example/a.png", "https://edge.test/")
	var got struct {
		Groups []CSPGroup `json:"groups"`
	}
	decode(t, tc.get(t, "/ocomms/console/api/csp?window=hour"), &got)
	if len(got.Groups) != 3 || got.Groups[0].Count != 3 || got.Groups[0].BlockedURI != "https://cdn.example/x.js" ||
		got.Groups[0].Document != "https://edge.test/new" || !got.Groups[0].Last.Equal(testNow.Add(-time.Minute)) || got.Groups[1].Count != 1 {
		t.Errorf("hour: %+v", got.Groups)
	}
	decode(t, tc.get(t, "/ocomms/console/api/csp?window=day"), &got)
	if len(got.Groups) != 3 || got.Groups[1].Directive != "img-src" || got.Groups[1].Count != 2 {
		t.Errorf("day: %+v", got.Groups)
	}
	if strings.Contains(tc.get(t, "/ocomms/console/api/csp").Body.String(), "null") {
		t.Errorf("groups must be a list")
	}
}

// Charts are computed at most once per refresh interval, whoever asks.
func TestSeriesShared(t *testing.T) {
	tc := newTestConsole(t, admin)
	now := testNow
	tc.h.cfg.Now = func() time.Time { return now }
	tc.ev.add(secevent.Event{Time: now.Add(-time.Minute), Action: secevent.ActionSignInFailed})
	var b Buckets
	decode(t, tc.get(t, "/ocomms/console/api/series"), &b)
	queries := len(tc.ev.queries)
	tc.ev.add(secevent.Event{Time: now.Add(-time.Minute), Action: secevent.ActionSignInFailed})
	for range 5 {
		decode(t, tc.get(t, "/ocomms/console/api/series"), &b)
	}
	if len(tc.ev.queries) != queries || sum(lineOf(b, "signin", "sign_in_failed")) != 1 {
		t.Errorf("within the interval: %d queries (want %d), count %v", len(tc.ev.queries), queries, lineOf(b, "signin", "sign_in_failed"))
	}
	now = now.Add(DefaultRefresh)
	decode(t, tc.get(t, "/ocomms/console/api/series"), &b)
	if sum(lineOf(b, "signin", "sign_in_failed")) != 2 {
		t.Errorf("after the interval: %v", lineOf(b, "signin", "sign_in_failed"))
	}
}
