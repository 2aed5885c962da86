package query

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Query limits.
const (
	DefaultQueryLimit = 100
	MaxQueryLimit     = 1000
)

// ErrBadCursor is returned for a cursor that was not made by a Query.
var ErrBadCursor = errors.New("audit query: malformed cursor")

// CursorKey is the keyset position of an event: newest first by time,
// then instance, then seq (both descending), so pages stay stable while
// events are appended.
type CursorKey struct {
	Micros int64 // µs since epoch
	inst   string
	seq    uint64
}

// Less reports whether a sorts after b in newest-first order.
func (a CursorKey) Less(b CursorKey) bool {
	if a.Micros != b.Micros {
		return a.Micros < b.Micros
	}
	if a.inst != b.inst {
		return a.inst < b.inst
	}
	return a.seq < b.seq
}

// KeyOf is the keyset position of e.
func KeyOf(e *secevent.Event) CursorKey {
	return CursorKey{Micros: e.Time.UnixMicro(), inst: e.Instance, seq: e.Sequence}
}

// EncodeCursor makes the opaque cursor that continues after e.
func EncodeCursor(e secevent.Event) string {
	k := KeyOf(&e)
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.Micros, 10) + ":" + k.inst + ":" + strconv.FormatUint(k.seq, 10)))
}

// DecodeCursor reads a cursor back into its time, instance and seq.
func DecodeCursor(c string) (t time.Time, instance string, seq uint64, err error) {
	k, err := decodeCursor(c)
	if err != nil {
		return time.Time{}, "", 0, err
	}
	return time.UnixMicro(k.Micros).UTC(), k.inst, k.seq, nil
}

func decodeCursor(c string) (CursorKey, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return CursorKey{}, ErrBadCursor
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) < 3 {
		return CursorKey{}, ErrBadCursor
	}
	t, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[len(parts)-1], 10, 64)
	inst := strings.Join(parts[1:len(parts)-1], ":")
	if err1 != nil || err2 != nil || record.ValidInstance(inst) != nil {
		return CursorKey{}, ErrBadCursor
	}
	return CursorKey{Micros: t, inst: inst, seq: seq}, nil
}

// Matcher is a compiled Filter: what a store that scans events (the JSONL
// files) tests each one against.
type Matcher struct {
	Filter Filter
	Email  string
	Prefix netip.Prefix
	HasIP  bool
	After  *CursorKey
}

// CompileFilter validates f and fills its defaults.
func CompileFilter(f Filter) (*Matcher, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultQueryLimit
	}
	if f.Limit > MaxQueryLimit {
		f.Limit = MaxQueryLimit
	}
	m := &Matcher{Filter: f, Email: strings.ToLower(strings.TrimSpace(f.Email))}
	if f.IP != "" {
		p, err := ParseIPFilter(f.IP)
		if err != nil {
			return nil, err
		}
		m.Prefix, m.HasIP = p, true
	}
	if f.After != "" {
		k, err := decodeCursor(f.After)
		if err != nil {
			return nil, err
		}
		m.After = &k
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return nil, fmt.Errorf("audit query: until %s is before since %s", f.Until.Format(time.RFC3339), f.Since.Format(time.RFC3339))
	}
	return m, nil
}

// ParseIPFilter reads an address or a CIDR as a prefix (an address is its
// own /32 or /128).
func ParseIPFilter(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("audit query: ip %q: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("audit query: ip %q: %w", s, err)
	}
	a = a.WithZone("").Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// InWindow applies Since (inclusive) and Until (exclusive).
func InWindow(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
}

// Match reports whether e passes every filter.
func (m *Matcher) Match(e *secevent.Event) bool {
	f := &m.Filter
	if !InWindow(e.Time, f.Since, f.Until) {
		return false
	}
	if f.UserID != "" && e.UserID != f.UserID && e.TargetUser != f.UserID {
		return false
	}
	if m.Email != "" && e.UserEmail != m.Email && e.TargetEmail != m.Email {
		return false
	}
	if m.HasIP && !IPIn(e.SourceIP, m.Prefix) {
		return false
	}
	if len(f.Actions) > 0 {
		ok := false
		for _, a := range f.Actions {
			if e.Action == a {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.Outcome != "" && e.Outcome != f.Outcome {
		return false
	}
	if m.After != nil && !KeyOf(e).Less(*m.After) {
		return false
	}
	return true
}

// IPIn reports whether ip is an address inside p.
func IPIn(ip string, p netip.Prefix) bool {
	if ip == "" {
		return false
	}
	a, err := netip.ParseAddr(ip)
	return err == nil && p.Contains(a.Unmap())
}

// TopK keeps the newest limit+1 events seen.
type TopK struct {
	Limit int
	evs   []secevent.Event // sorted newest first
}

// Add offers e to the top set.
func (t *TopK) Add(e secevent.Event) {
	k := KeyOf(&e)
	if len(t.evs) == t.Limit+1 && !KeyOf(&t.evs[len(t.evs)-1]).Less(k) {
		return
	}
	i := sort.Search(len(t.evs), func(i int) bool { return KeyOf(&t.evs[i]).Less(k) })
	t.evs = append(t.evs, secevent.Event{})
	copy(t.evs[i+1:], t.evs[i:])
	t.evs[i] = e
	if len(t.evs) > t.Limit+1 {
		t.evs = t.evs[:t.Limit+1]
	}
}

// Page is the kept events as a page, with the cursor of the next one.
func (t *TopK) Page() Page {
	if len(t.evs) <= t.Limit {
		return Page{Events: t.evs}
	}
	evs := t.evs[:t.Limit]
	return Page{Events: evs, Next: EncodeCursor(evs[len(evs)-1])}
}

// Aggregate builds pivot rows.
type Aggregate map[string]*Pivot

// Add counts e under value.
func (a Aggregate) Add(value string, e *secevent.Event) {
	p := a[value]
	if p == nil {
		p = &Pivot{Value: value, First: e.Time, Last: e.Time}
		a[value] = p
	}
	p.Events++
	if e.Outcome == secevent.OutcomeFailure {
		p.Failures++
	}
	if e.Time.Before(p.First) {
		p.First = e.Time
	}
	if e.Time.After(p.Last) {
		p.Last = e.Time
	}
}

// Rows returns the pivots, most events first.
func (a Aggregate) Rows() []Pivot {
	out := make([]Pivot, 0, len(a))
	for _, p := range a {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(x, y Pivot) int {
		return cmp.Or(cmp.Compare(y.Events, x.Events), strings.Compare(x.Value, y.Value))
	})
	return out
}

// AccountOf is the account an event is about: its email, else its user
// id, else its user name.
func AccountOf(e *secevent.Event) string {
	return record.FirstNonEmpty(e.UserEmail, e.UserID, e.UserName)
}

// FailedSignIns is the "failed sign-ins for a user" investigation: sign-in
// failures and refusals for an account (an email when it contains "@",
// otherwise a user id), newest first.
func FailedSignIns(ctx context.Context, q Querier, account string, since, until time.Time, after string) (Page, error) {
	f := Filter{Actions: []secevent.Action{secevent.ActionSignInFailed, secevent.ActionSignInRefused}, Outcome: secevent.OutcomeFailure, Since: since, Until: until, After: after}
	if strings.Contains(account, "@") {
		f.Email = account
	} else {
		f.UserID = account
	}
	return q.Query(ctx, f)
}
