package auditlog

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Query limits.
const (
	DefaultQueryLimit = 100
	MaxQueryLimit     = 1000
)

// ErrBadCursor is returned for a cursor that was not made by a Query.
var ErrBadCursor = errors.New("audit query: malformed cursor")

// cursorKey is the keyset position of an event: newest first by time,
// then instance, then seq (both descending), so pages stay stable while
// events are appended.
type cursorKey struct {
	t    int64 // µs since epoch
	inst string
	seq  uint64
}

// less reports whether a sorts after b in newest-first order.
func (a cursorKey) less(b cursorKey) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	if a.inst != b.inst {
		return a.inst < b.inst
	}
	return a.seq < b.seq
}

func keyOf(e *Event) cursorKey {
	return cursorKey{t: e.Time.UnixMicro(), inst: e.Instance, seq: e.Sequence}
}

// EncodeCursor makes the opaque cursor that continues after e.
func EncodeCursor(e Event) string {
	k := keyOf(&e)
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.t, 10) + ":" + k.inst + ":" + strconv.FormatUint(k.seq, 10)))
}

// DecodeCursor reads a cursor back into its time, instance and seq.
func DecodeCursor(c string) (t time.Time, instance string, seq uint64, err error) {
	k, err := decodeCursor(c)
	if err != nil {
		return time.Time{}, "", 0, err
	}
	return time.UnixMicro(k.t).UTC(), k.inst, k.seq, nil
}

func decodeCursor(c string) (cursorKey, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return cursorKey{}, ErrBadCursor
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) < 3 {
		return cursorKey{}, ErrBadCursor
	}
	t, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[len(parts)-1], 10, 64)
	inst := strings.Join(parts[1:len(parts)-1], ":")
	if err1 != nil || err2 != nil || ValidInstance(inst) != nil {
		return cursorKey{}, ErrBadCursor
	}
	return cursorKey{t: t, inst: inst, seq: seq}, nil
}

// matcher is a compiled Filter.
type matcher struct {
	f      Filter
	email  string
	prefix netip.Prefix
	hasIP  bool
	after  *cursorKey
}

// compileFilter validates f and fills its defaults.
func compileFilter(f Filter) (*matcher, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultQueryLimit
	}
	if f.Limit > MaxQueryLimit {
		f.Limit = MaxQueryLimit
	}
	m := &matcher{f: f, email: strings.ToLower(strings.TrimSpace(f.Email))}
	if f.IP != "" {
		p, err := ParseIPFilter(f.IP)
		if err != nil {
			return nil, err
		}
		m.prefix, m.hasIP = p, true
	}
	if f.After != "" {
		k, err := decodeCursor(f.After)
		if err != nil {
			return nil, err
		}
		m.after = &k
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

// inWindow applies Since (inclusive) and Until (exclusive).
func inWindow(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
}

// match reports whether e passes every filter.
func (m *matcher) match(e *Event) bool {
	f := &m.f
	if !inWindow(e.Time, f.Since, f.Until) {
		return false
	}
	if f.UserID != "" && e.UserID != f.UserID && e.TargetUser != f.UserID {
		return false
	}
	if m.email != "" && e.UserEmail != m.email && e.TargetEmail != m.email {
		return false
	}
	if m.hasIP && !ipIn(e.SourceIP, m.prefix) {
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
	if m.after != nil && !keyOf(e).less(*m.after) {
		return false
	}
	return true
}

func ipIn(ip string, p netip.Prefix) bool {
	if ip == "" {
		return false
	}
	a, err := netip.ParseAddr(ip)
	return err == nil && p.Contains(a.Unmap())
}

// topK keeps the newest limit+1 events seen.
type topK struct {
	limit int
	evs   []Event // sorted newest first
}

func (t *topK) add(e Event) {
	k := keyOf(&e)
	if len(t.evs) == t.limit+1 && !keyOf(&t.evs[len(t.evs)-1]).less(k) {
		return
	}
	i := sort.Search(len(t.evs), func(i int) bool { return keyOf(&t.evs[i]).less(k) })
	t.evs = append(t.evs, Event{})
	copy(t.evs[i+1:], t.evs[i:])
	t.evs[i] = e
	if len(t.evs) > t.limit+1 {
		t.evs = t.evs[:t.limit+1]
	}
}

func (t *topK) page() Page {
	if len(t.evs) <= t.limit {
		return Page{Events: t.evs}
	}
	evs := t.evs[:t.limit]
	return Page{Events: evs, Next: EncodeCursor(evs[len(evs)-1])}
}

// aggregate builds pivot rows.
type aggregate map[string]*Pivot

func (a aggregate) add(value string, e *Event) {
	p := a[value]
	if p == nil {
		p = &Pivot{Value: value, First: e.Time, Last: e.Time}
		a[value] = p
	}
	p.Events++
	if e.Outcome == OutcomeFailure {
		p.Failures++
	}
	if e.Time.Before(p.First) {
		p.First = e.Time
	}
	if e.Time.After(p.Last) {
		p.Last = e.Time
	}
}

// rows returns the pivots, most events first.
func (a aggregate) rows() []Pivot {
	out := make([]Pivot, 0, len(a))
	for _, p := range a {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Events != out[j].Events {
			return out[i].Events > out[j].Events
		}
		return out[i].Value < out[j].Value
	})
	return out
}

// accountOf is the account an event is about: its email, else its user
// id, else its user name.
func accountOf(e *Event) string {
	return firstNonEmpty(e.UserEmail, e.UserID, e.UserName)
}

// FailedSignIns is the "failed sign-ins for a user" investigation: sign-in
// failures and refusals for an account (an email when it contains "@",
// otherwise a user id), newest first.
func FailedSignIns(ctx context.Context, q Querier, account string, since, until time.Time, after string) (Page, error) {
	f := Filter{Actions: []Action{ActionSignInFailed, ActionSignInRefused}, Outcome: OutcomeFailure, Since: since, Until: until, After: after}
	if strings.Contains(account, "@") {
		f.Email = account
	} else {
		f.UserID = account
	}
	return q.Query(ctx, f)
}
