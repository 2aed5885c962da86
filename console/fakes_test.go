package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// fakeLockouts is an in-memory Lockouts keyed like the real one (a hash of
// the lower-cased email).
type fakeLockouts struct {
	mu       sync.Mutex
	entries  map[string]Lockout
	unlocked []string
	fail     bool
}

func fakeKey(email string) string {
	s := sha256.Sum256([]byte("k:" + normEmail(email)))
	return hex.EncodeToString(s[:16])
}

func (f *fakeLockouts) List(context.Context) ([]Lockout, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return nil, errors.New("store down")
	}
	var out []Lockout
	for _, e := range f.entries {
		out = append(out, e)
	}
	return out, nil
}

func (f *fakeLockouts) AccountKey(email string) string { return fakeKey(email) }

func (f *fakeLockouts) UnlockKey(_ context.Context, key string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return false, errors.New("store down")
	}
	f.unlocked = append(f.unlocked, key)
	_, had := f.entries[key]
	delete(f.entries, key)
	return had, nil
}

// fakeEvents is an in-memory Events: newest first, an index as cursor.
type fakeEvents struct {
	mu      sync.Mutex
	events  []secevent.Event
	queries []EventFilter
}

func (f *fakeEvents) add(e secevent.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e.ID == "" {
		e.ID = "ev-" + strconv.Itoa(len(f.events)+1)
	}
	f.events = append(f.events, e)
	sort.SliceStable(f.events, func(i, j int) bool { return f.events[i].Time.After(f.events[j].Time) })
}

func (f *fakeEvents) Query(_ context.Context, fl EventFilter) (EventPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, fl)
	start := 0
	if fl.After != "" {
		n, err := strconv.Atoi(fl.After)
		if err != nil {
			return EventPage{}, errors.New("bad cursor")
		}
		start = n
	}
	limit := fl.Limit
	if limit <= 0 {
		limit = 100
	}
	var out EventPage
	for i := start; i < len(f.events); i++ {
		e := f.events[i]
		if !matches(fl, e) {
			continue
		}
		if len(out.Events) == limit {
			out.Next = strconv.Itoa(i)
			break
		}
		out.Events = append(out.Events, e)
	}
	return out, nil
}

func matches(f EventFilter, e secevent.Event) bool {
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, e.Action) {
		return false
	}
	if f.Outcome != "" && e.Outcome != f.Outcome {
		return false
	}
	if f.Email != "" && e.UserEmail != f.Email && e.TargetEmail != f.Email {
		return false
	}
	if f.UserID != "" && e.UserID != f.UserID && e.TargetUser != f.UserID {
		return false
	}
	if f.IP != "" {
		p, err := netip.ParsePrefix(f.IP)
		if err != nil {
			a := netip.MustParseAddr(f.IP)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		a, err := netip.ParseAddr(e.SourceIP)
		if err != nil || !p.Contains(a) {
			return false
		}
	}
	if !f.Since.IsZero() && e.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !e.Time.Before(f.Until) {
		return false
	}
	return true
}

// admin admits everyone as the admin user u1.
var admin = AuthorizerFunc(func(*http.Request) (Operator, error) {
	return Operator{UserID: "u1", Email: "root@ocomms.test"}, nil
})

var testNow = time.Date(2026, 12, 7, 12, 0, 30, 0, time.UTC)

func fakeCheckpoint(t time.Time) secevent.Event {
	return secevent.Event{Time: t, Action: secevent.ActionAuditCheckpoint, Outcome: secevent.OutcomeSuccess}
}
