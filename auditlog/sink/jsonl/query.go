package jsonl

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// scanEvents decodes the records, in files that can hold events at or
// after since (a record sits in the file of its own day or a later one),
// whose @timestamp is in [since, until) and whose document passes the
// cheap byte test pre, and calls fn with each.
func (j *JSONL) scanEvents(ctx context.Context, since, until time.Time, pre func([]byte) bool, fn func(*secevent.Event)) error {
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
		f, err := os.Open(j.path(d))
		if err != nil {
			return fmt.Errorf("open audit jsonl: %w", err)
		}
		err = record.ScanLines(f, func(_ int, line []byte) error {
			doc := lineDoc(line)
			if doc == nil {
				return nil
			}
			if t := record.DocTime(doc); !t.IsZero() && !query.InWindow(t, since, until) {
				return nil
			}
			if pre != nil && !pre(doc) {
				return nil
			}
			e, err := record.UnmarshalEvent(doc)
			if err != nil {
				return nil // Verify reports undecodable records
			}
			fn(&e)
			return nil
		})
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// lineDoc returns the document of a record line without checking the
// chain fields (queries do not need them; Verify does), or nil.
func lineDoc(line []byte) []byte {
	if !bytes.HasPrefix(line, []byte(linePrefix)) {
		return nil
	}
	i := bytes.Index(line, []byte(`,"prev":"`))
	if i < 0 {
		return nil
	}
	i += len(`,"prev":"`) + 64 + len(`","hash":"`) + 64
	if len(line) < i+len(`","doc":`)+3 || string(line[i:i+len(`","doc":`)]) != `","doc":` || line[len(line)-1] != '}' {
		return nil
	}
	return line[i+len(`","doc":`) : len(line)-1]
}

// docSourceIP reads source.ip from a canonical document without decoding
// it (an address holds no character JSON escapes).
func docSourceIP(doc []byte) (netip.Addr, bool) {
	const key = `,"source":{"ip":"`
	i := bytes.Index(doc, []byte(key))
	if i < 0 {
		return netip.Addr{}, false
	}
	rest := doc[i+len(key):]
	k := bytes.IndexByte(rest, '"')
	if k < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(rest[:k]))
	return a, err == nil
}

// ipPrefilter passes documents whose source.ip is in p.
func ipPrefilter(p netip.Prefix) func([]byte) bool {
	return func(doc []byte) bool {
		a, ok := docSourceIP(doc)
		return ok && p.Contains(a)
	}
}

// both passes what a and b both pass (nil passes everything).
func both(a, b func([]byte) bool) func([]byte) bool {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(doc []byte) bool { return a(doc) && b(doc) }
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

func jsonStr(s string) []byte { return record.AppendString(nil, s) }

// Query implements Querier: events matching f, newest first, one page.
func (j *JSONL) Query(ctx context.Context, f query.Filter) (query.Page, error) {
	m, err := query.CompileFilter(f)
	if err != nil {
		return query.Page{}, err
	}
	var needles, anyOf [][]byte
	if m.Email != "" {
		needles = append(needles, jsonStr(m.Email))
	}
	if f.UserID != "" {
		needles = append(needles, jsonStr(f.UserID))
	}

	if f.Outcome != "" {
		needles = append(needles, []byte(`"outcome":`+string(jsonStr(string(f.Outcome)))))
	}
	for _, a := range f.Actions {
		anyOf = append(anyOf, []byte(`"action":`+string(jsonStr(string(a)))))
	}
	top := &query.TopK{Limit: m.Filter.Limit}
	pre := prefilter(needles, anyOf)
	if m.HasIP {
		pre = both(pre, ipPrefilter(m.Prefix))
	}
	if m.After != nil {
		// Keyset: nothing newer than the cursor's time can follow it.
		until := time.UnixMicro(m.After.Micros + 1)
		if f.Until.IsZero() || until.Before(f.Until) {
			f.Until = until
		}
	}
	if err := j.scanEvents(ctx, f.Since, f.Until, pre, func(e *secevent.Event) {
		if m.Match(e) {
			top.Add(*e)
		}
	}); err != nil {
		return query.Page{}, err
	}
	return top.Page(), nil
}

// AccountsFromIP implements Querier: the accounts seen from an address or
// CIDR in [since, until), most events first.
func (j *JSONL) AccountsFromIP(ctx context.Context, ip string, since, until time.Time) ([]query.Pivot, error) {
	p, err := query.ParseIPFilter(ip)
	if err != nil {
		return nil, err
	}
	agg := query.Aggregate{}
	err = j.scanEvents(ctx, since, until, ipPrefilter(p), func(e *secevent.Event) {
		if !query.InWindow(e.Time, since, until) || !query.IPIn(e.SourceIP, p) {
			return
		}
		if a := query.AccountOf(e); a != "" {
			agg.Add(a, e)
		}
	})
	return agg.Rows(), err
}

// IPsForAccount implements Querier: the source IPs an account (email,
// user id or name) was seen from in [since, until), most events first.
func (j *JSONL) IPsForAccount(ctx context.Context, account string, since, until time.Time) ([]query.Pivot, error) {
	account = strings.TrimSpace(account)
	if account == "" {
		return nil, fmt.Errorf("audit query: account is required")
	}
	email := strings.ToLower(account)
	agg := query.Aggregate{}
	needles := [][]byte{jsonStr(email)}
	if account != email {
		needles = append(needles, jsonStr(account))
	}
	pre := prefilter(nil, needles)
	err := j.scanEvents(ctx, since, until, pre, func(e *secevent.Event) {
		if !query.InWindow(e.Time, since, until) || e.SourceIP == "" {
			return
		}
		if e.UserEmail == email || e.UserID == account || e.UserName == account {
			agg.Add(e.SourceIP, e)
		}
	})
	return agg.Rows(), err
}
