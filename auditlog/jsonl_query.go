package auditlog

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
)

// scanEvents decodes every record in files that can hold events at or
// after since (a record sits in the file of its own day or a later one),
// skipping documents the cheap byte test pre rejects, and calls fn.
func (j *JSONL) scanEvents(ctx context.Context, since time.Time, pre func([]byte) bool, fn func(*Event)) error {
	days, err := j.days()
	if err != nil {
		return err
	}
	from := ""
	if !since.IsZero() {
		from = since.UTC().Format(dayLayout)
	}
	for _, d := range days {
		if d < from {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("audit jsonl query: %w", err)
		}
		if err := scanJSONLFile(j.path(d), func(k lineKind, r Record, _ Checkpoint) error {
			if k != lineRecord || (pre != nil && !pre(r.Data)) {
				return nil
			}
			e, err := UnmarshalEvent(r.Data)
			if err != nil {
				return nil // Verify reports undecodable records
			}
			fn(&e)
			return nil
		}, nil); err != nil {
			return err
		}
	}
	return nil
}

// prefilter returns a byte test every matching document passes: the
// exact JSON strings the filter needs (values are stored canonically).
func prefilter(needles [][]byte, anyOf [][]byte) func([]byte) bool {
	if len(needles) == 0 && len(anyOf) == 0 {
		return nil
	}
	return func(b []byte) bool {
		for _, n := range needles {
			if !bytes.Contains(b, n) {
				return false
			}
		}
		if len(anyOf) == 0 {
			return true
		}
		for _, n := range anyOf {
			if bytes.Contains(b, n) {
				return true
			}
		}
		return false
	}
}

func jsonStr(s string) []byte { return appendString(nil, s) }

// Query implements Querier: events matching f, newest first, one page.
func (j *JSONL) Query(ctx context.Context, f Filter) (Page, error) {
	m, err := compileFilter(f)
	if err != nil {
		return Page{}, err
	}
	var needles, anyOf [][]byte
	if m.email != "" {
		needles = append(needles, jsonStr(m.email))
	}
	if f.UserID != "" {
		needles = append(needles, jsonStr(f.UserID))
	}
	if m.hasIP && m.prefix.IsSingleIP() {
		needles = append(needles, []byte(`"ip":`+string(jsonStr(m.prefix.Addr().String()))))
	}
	if f.Outcome != "" {
		needles = append(needles, []byte(`"outcome":`+string(jsonStr(string(f.Outcome)))))
	}
	for _, a := range f.Actions {
		anyOf = append(anyOf, []byte(`"action":`+string(jsonStr(string(a)))))
	}
	top := &topK{limit: m.f.Limit}
	if err := j.scanEvents(ctx, f.Since, prefilter(needles, anyOf), func(e *Event) {
		if m.match(e) {
			top.add(*e)
		}
	}); err != nil {
		return Page{}, err
	}
	return top.page(), nil
}

// AccountsFromIP implements Querier: the accounts seen from an address or
// CIDR in [since, until), most events first.
func (j *JSONL) AccountsFromIP(ctx context.Context, ip string, since, until time.Time) ([]Pivot, error) {
	p, err := ParseIPFilter(ip)
	if err != nil {
		return nil, err
	}
	var pre func([]byte) bool
	if p.IsSingleIP() {
		pre = prefilter([][]byte{[]byte(`"ip":` + string(jsonStr(p.Addr().String())))}, nil)
	}
	agg := aggregate{}
	err = j.scanEvents(ctx, since, pre, func(e *Event) {
		if !inWindow(e.Time, since, until) || !ipIn(e.SourceIP, p) {
			return
		}
		if a := accountOf(e); a != "" {
			agg.add(a, e)
		}
	})
	return agg.rows(), err
}

// IPsForAccount implements Querier: the source IPs an account (email,
// user id or name) was seen from in [since, until), most events first.
func (j *JSONL) IPsForAccount(ctx context.Context, account string, since, until time.Time) ([]Pivot, error) {
	account = strings.TrimSpace(account)
	if account == "" {
		return nil, fmt.Errorf("audit query: account is required")
	}
	email := strings.ToLower(account)
	agg := aggregate{}
	pre := prefilter(nil, [][]byte{jsonStr(email), jsonStr(account)})
	err := j.scanEvents(ctx, since, pre, func(e *Event) {
		if !inWindow(e.Time, since, until) || e.SourceIP == "" {
			return
		}
		if e.UserEmail == email || e.UserID == account || e.UserName == account {
			agg.add(e.SourceIP, e)
		}
	})
	return agg.rows(), err
}
