package jsonl

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

func countLines(t *testing.T, dir string) (records, checkpoints int) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, de := range ents {
		data, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			switch {
			case strings.HasPrefix(l, linePrefix):
				records++
			case strings.HasPrefix(l, cpPrefix):
				checkpoints++
			}
		}
	}
	return records, checkpoints
}

// appendTornLine appends the first half of r's line to the newest day
// file in dir, as a crash in the middle of an append leaves it, and
// returns that file's path.
func appendTornLine(t *testing.T, dir string, r *record.Record) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("day files %v: %v", ents, err)
	}
	path := filepath.Join(dir, ents[len(ents)-1].Name())
	line := appendRecordLine(nil, r)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(line[:len(line)/2]); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestJSONLDedupesReplaysAcrossReopen(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	recs := logtest.BuildRecords("edge-1", 120, time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC), 2)
	writeStore(t, dir, key, recs, 50)
	// A replay of everything, through a freshly opened store (as after a
	// restart whose cursor was stale), must add nothing.
	writeStore(t, dir, key, recs, 50)
	j, err := OpenJSONL(JSONLConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Write(context.Background(), recs[100:]); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if n, cps := countLines(t, dir); n != 120 || cps != 3 {
		t.Fatalf("%d record lines and %d checkpoint lines, want 120 and 3", n, cps)
	}
	rep := verifyDir(t, dir, key.Public().(ed25519.PublicKey), nil)
	if !rep.OK() {
		t.Fatalf("%+v", rep.Problems)
	}
}

func TestJSONLCutsTornLastLine(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	recs := logtest.BuildRecords("edge-1", 30, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), 0)
	writeStore(t, dir, key, recs[:20], 100)
	appendTornLine(t, dir, &recs[20])
	j, err := OpenJSONL(JSONLConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Write(context.Background(), recs[20:]); err != nil {
		t.Fatal(err)
	}
	cp := chain.Sign(record.Checkpoint{Instance: "edge-1", Seq: 30, Hash: recs[29].Hash, Time: recs[29].Time}, key)
	if err := j.WriteCheckpoint(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	j.Close()
	rep := verifyDir(t, dir, key.Public().(ed25519.PublicKey), nil)
	ir, _ := rep.Instance("edge-1")
	if !rep.OK() || ir.Last != 30 || ir.Records != 30 {
		t.Fatalf("after repair: %+v %+v", ir, rep.Problems)
	}
}

// A clock that steps back must not put a record in an earlier file than
// its predecessor: file order stays chain order.
func TestJSONLClockStepBackKeepsOrder(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	recs := logtest.BuildRecords("edge-1", 20, time.Date(2026, 11, 30, 23, 50, 0, 0, time.UTC), 0)
	// Records 11..20 claim the previous day (a stepped-back clock), but
	// keep their hashes: rebuild them with the earlier time.
	var prev [32]byte
	for i := range recs {
		e, _ := record.UnmarshalEvent(recs[i].Data)
		if i >= 10 {
			e.Time = time.Date(2026, 11, 29, 12, 0, i, 0, time.UTC)
		} else {
			e.Time = time.Date(2026, 12, 1, 0, 0, i, 0, time.UTC)
		}
		recs[i].Data, _ = record.MarshalEvent(e)
		recs[i].Time, recs[i].PrevHash = e.Time, prev
		recs[i].Hash = record.ChainHash(prev, recs[i].Data)
		prev = recs[i].Hash
	}
	writeStore(t, dir, key, recs, 5)
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "audit-2026-12-01.jsonl" {
		t.Fatalf("files %v", ents)
	}
	if rep := verifyDir(t, dir, key.Public().(ed25519.PublicKey), nil); !rep.OK() {
		t.Fatalf("%+v", rep.Problems)
	}
}

func TestJSONLRetentionCheckpoint(t *testing.T) {
	key := logtest.TestKey(t)
	pub := key.Public().(ed25519.PublicKey)
	dir := t.TempDir()
	start := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	recs := logtest.BuildRecords("edge-1", 500, start, 100) // 5 a day for 100 days
	writeStore(t, dir, key, recs, 23)
	now := start.AddDate(0, 0, 100)

	// Without a key nothing is deleted.
	j, err := OpenJSONL(JSONLConfig{Dir: dir, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Retain(); err == nil {
		t.Fatal("retention without a signing key must refuse")
	}
	before, _ := os.ReadDir(dir)
	if len(before) < 100 {
		t.Fatalf("%d files", len(before))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != len(before) {
		t.Fatalf("%d files after a refused cut, had %d", len(ents), len(before))
	}
	j.Close()
	j, err = OpenJSONL(JSONLConfig{Dir: dir, SigningKey: key, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Retain(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	ents, _ := os.ReadDir(dir)
	cutoff := now.AddDate(0, 0, -90).Format(dayLayout)
	if len(ents) >= len(before) || ents[len(ents)-1].Name() != dayFile(now.Format(dayLayout)) {
		t.Fatalf("%d files after the cut (had %d); newest %s", len(ents), len(before), ents[len(ents)-1].Name())
	}
	for _, de := range ents {
		if de.Name() < dayFile(cutoff) {
			t.Fatalf("%s survived the cut at %s", de.Name(), cutoff)
		}
	}
	rep := verifyDir(t, dir, pub, nil)
	ir, _ := rep.Instance("edge-1")
	if !rep.OK() || ir.RetainedFrom == 0 || ir.First != ir.RetainedFrom || ir.Last != 500 {
		t.Fatalf("after retention: %+v %+v", ir, rep.Problems)
	}
	// Dropping one more day outside the policy is still caught, at the
	// seq the retention checkpoint vouches for.
	names, _ := os.ReadDir(dir)
	os.Remove(filepath.Join(dir, names[0].Name()))
	rep = verifyDir(t, dir, pub, nil)
	ir2, _ := rep.Instance("edge-1")
	if rep.OK() || ir2.FirstBad != ir.RetainedFrom || ir2.Kind != chain.TamperStart {
		t.Fatalf("dropped day after retention: %+v", ir2)
	}
}

// The query fixture: 400 events over 4 days, through the JSONL sink.
func queryStore(t *testing.T) (*JSONL, []secevent.Event) {
	t.Helper()
	dir := t.TempDir()
	recs := logtest.BuildRecords("edge-1", 400, time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC), 4)
	writeStore(t, dir, logtest.TestKey(t), recs, 100)
	j, err := OpenJSONL(JSONLConfig{Dir: dir, RetentionDays: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	evs := make([]secevent.Event, len(recs))
	for i, r := range recs {
		evs[i], _ = record.UnmarshalEvent(r.Data)
	}
	return j, evs
}

// allPages follows the cursor to the end.
func allPages(t *testing.T, q query.Querier, f query.Filter) []secevent.Event {
	t.Helper()
	var out []secevent.Event
	for pages := 0; ; pages++ {
		p, err := q.Query(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Events...)
		if p.Next == "" {
			return out
		}
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		f.After = p.Next
	}
}

// brute filters evs by keep and orders them newest first.
func brute(evs []secevent.Event, keep func(secevent.Event) bool) []secevent.Event {
	var out []secevent.Event
	for _, e := range evs {
		if keep(e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b secevent.Event) int {
		if query.KeyOf(&b).Less(query.KeyOf(&a)) {
			return -1
		}
		return 1
	})
	return out
}

func TestJSONLQuery(t *testing.T) {
	j, evs := queryStore(t)
	since := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		f    query.Filter
		keep func(secevent.Event) bool
	}{
		{"email", query.Filter{Email: "User7@Example.com"}, func(e secevent.Event) bool {
			return e.UserEmail == "user7@example.com" || e.TargetEmail == "user7@example.com"
		}},
		{"user id", query.Filter{UserID: "u_admin"}, func(e secevent.Event) bool { return e.UserID == "u_admin" || e.TargetUser == "u_admin" }},
		{"single ip", query.Filter{IP: "203.0.113.9"}, func(e secevent.Event) bool { return e.SourceIP == "203.0.113.9" }},
		{"cidr failures", query.Filter{IP: "203.0.113.0/28", Outcome: secevent.OutcomeFailure}, func(e secevent.Event) bool {
			return strings.HasPrefix(e.SourceIP, "203.0.113.") && query.IPIn(e.SourceIP, mustPrefix("203.0.113.0/28")) && e.Outcome == secevent.OutcomeFailure
		}},
		{"actions in window", query.Filter{Actions: []secevent.Action{secevent.ActionSignInFailed, secevent.ActionAccountLocked}, Since: since, Until: until}, func(e secevent.Event) bool {
			return (e.Action == secevent.ActionSignInFailed || e.Action == secevent.ActionAccountLocked) && query.InWindow(e.Time, since, until)
		}},
		{"everything", query.Filter{}, func(secevent.Event) bool { return true }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := brute(evs, c.keep)
			if len(want) == 0 {
				t.Fatal("case matches nothing")
			}
			for _, limit := range []int{7, 100} {
				f := c.f
				f.Limit = limit
				got := allPages(t, j, f)
				if !reflect.DeepEqual(logtest.IDs(got), logtest.IDs(want)) {
					t.Fatalf("limit %d: got %d events, want %d (ids differ)", limit, len(got), len(want))
				}
			}
		})
	}
	if _, err := j.Query(context.Background(), query.Filter{After: "not-a-cursor"}); !errors.Is(err, query.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := j.Query(context.Background(), query.Filter{IP: "300.1.2.3"}); err == nil {
		t.Fatal("bad ip accepted")
	}

	// Pivots against brute force.
	ip := "203.0.113.9"
	accts, err := j.AccountsFromIP(context.Background(), ip, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantAccts := map[string]int{}
	for _, e := range evs {
		if e.SourceIP == ip && query.AccountOf(&e) != "" {
			wantAccts[query.AccountOf(&e)]++
		}
	}
	if len(accts) != len(wantAccts) || len(accts) < 2 {
		t.Fatalf("accounts from %s: %+v want %v", ip, accts, wantAccts)
	}
	for _, p := range accts {
		if wantAccts[p.Value] != p.Events {
			t.Fatalf("pivot %+v want %d", p, wantAccts[p.Value])
		}
	}
	ips, err := j.IPsForAccount(context.Background(), "user7@example.com", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantIPs := map[string]int{}
	for _, e := range evs {
		if e.UserEmail == "user7@example.com" && e.SourceIP != "" {
			wantIPs[e.SourceIP]++
		}
	}
	if len(ips) != len(wantIPs) || len(ips) < 2 {
		t.Fatalf("ips for user7: %+v want %v", ips, wantIPs)
	}
	for _, p := range ips {
		if wantIPs[p.Value] != p.Events || p.First.After(p.Last) {
			t.Fatalf("pivot %+v want %d", p, wantIPs[p.Value])
		}
	}
	fails, err := query.FailedSignIns(context.Background(), j, "user7@example.com", time.Time{}, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	wantFails := brute(evs, func(e secevent.Event) bool {
		return (e.UserEmail == "user7@example.com" || e.TargetEmail == "user7@example.com") && e.Outcome == secevent.OutcomeFailure &&
			(e.Action == secevent.ActionSignInFailed || e.Action == secevent.ActionSignInRefused)
	})
	if len(wantFails) == 0 || !reflect.DeepEqual(logtest.IDs(fails.Events), logtest.IDs(wantFails)) {
		t.Fatalf("failed sign-ins: %d want %d", len(fails.Events), len(wantFails))
	}
}

// Keyset pages stay stable while newer events are appended.
func TestJSONLQueryStableWhileAppending(t *testing.T) {
	dir := t.TempDir()
	key := logtest.TestKey(t)
	recs := logtest.BuildRecords("edge-1", 300, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 1)
	writeStore(t, dir, key, recs[:200], 50)
	j, err := OpenJSONL(JSONLConfig{Dir: dir, RetentionDays: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	p1, err := j.Query(context.Background(), query.Filter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Write(context.Background(), recs[200:]); err != nil {
		t.Fatal(err)
	}
	p2, err := j.Query(context.Background(), query.Filter{Limit: 50, After: p1.Next})
	if err != nil {
		t.Fatal(err)
	}
	if p1.Events[0].Sequence != 200 || p2.Events[0].Sequence != 150 || p2.Events[49].Sequence != 101 {
		t.Fatalf("pages: first %d, second %d..%d", p1.Events[0].Sequence, p2.Events[0].Sequence, p2.Events[49].Sequence)
	}
}

func mustPrefix(s string) netip.Prefix {
	p, err := query.ParseIPFilter(s)
	if err != nil {
		panic(err)
	}
	return p
}

// A read-only store (the verify CLI next to a running edge) changes
// nothing, not even a half-written last line, and refuses writes.
func TestJSONLReadOnly(t *testing.T) {
	key := logtest.TestKey(t)
	dir := t.TempDir()
	recs := logtest.BuildRecords("edge-1", 20, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), 0)
	writeStore(t, dir, key, recs[:19], 100)
	path := appendTornLine(t, dir, &recs[19]) // the edge is in the middle of an append
	before, _ := os.ReadFile(path)
	rep := verifyDir(t, dir, key.Public().(ed25519.PublicKey), nil)
	if ir, _ := rep.Instance("edge-1"); !rep.OK() || ir.Last != 19 {
		t.Fatalf("%+v %+v", ir, rep.Problems)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("a read-only open changed the file")
	}
	j, err := OpenJSONL(JSONLConfig{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Write(context.Background(), recs[19:]); err == nil {
		t.Fatal("read-only store accepted a write")
	}
	if _, err := OpenJSONL(JSONLConfig{Dir: filepath.Join(dir, "missing"), ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing directory succeeded")
	}
}
