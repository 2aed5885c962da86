package auditlog

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// timeLayout is @timestamp: UTC, exactly six fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Field length caps. Values beyond them are cut at a UTF-8 boundary so a
// hostile User-Agent or path cannot bloat the log.
const (
	maxShort     = 256
	maxPath      = 2048
	maxUserAgent = 1024
	maxLabels    = 32
	maxLabelKey  = 64
)

// errNoAction is returned for an event without an action.
var errNoAction = errors.New("audit event has no action")

// MarshalEvent returns the canonical ECS JSON of e: nested ECS objects,
// keys in a fixed (alphabetical) order, empty fields left out, @timestamp
// in UTC to the microsecond. The same event always gives the same bytes;
// these are the bytes the hash chain covers and every sink stores.
//
// The event is sanitised first (see Sanitize): query strings and reset
// tokens are cut from the path, labels whose names look like secrets are
// dropped, invalid UTF-8 is replaced, long values are cut.
func MarshalEvent(e Event) ([]byte, error) {
	return appendEvent(make([]byte, 0, 512), e)
}

// appendEvent appends the canonical encoding of e to b.
func appendEvent(b []byte, e Event) ([]byte, error) {
	if err := encodable(&e); err != nil {
		return b, err
	}
	return appendSanitized(b, Sanitize(e)), nil
}

// encodable checks what Sanitize cannot repair.
func encodable(e *Event) error {
	if e.Action == "" {
		return errNoAction
	}
	if e.Time.IsZero() {
		return fmt.Errorf("audit event %s has no time", e.Action)
	}
	return nil
}

// appendSanitized encodes an event Sanitize has already cleaned.
func appendSanitized(b []byte, e Event) []byte {
	kind, cat, typ, _ := ECSClass(e.Action)

	b = append(b, `{"@timestamp":"`...)
	b = e.Time.AppendFormat(b, timeLayout)
	b = append(b, `","ecs":{"version":"`+ECSVersion+`"},"event":{"action":`...)
	b = appendString(b, string(e.Action))
	if len(cat) > 0 {
		b = append(b, `,"category":`...)
		b = appendStrings(b, cat)
	}
	if e.ID != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, e.ID)
	}
	b = append(b, `,"kind":`...)
	b = appendString(b, kind)
	b = append(b, `,"outcome":`...)
	b = appendString(b, string(e.Outcome))
	if e.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendString(b, e.Reason)
	}
	if e.Sequence != 0 {
		b = append(b, `,"sequence":`...)
		b = strconv.AppendUint(b, e.Sequence, 10)
	}
	if len(typ) > 0 {
		b = append(b, `,"type":`...)
		b = appendStrings(b, typ)
	}
	b = append(b, '}')

	if e.Method != "" || e.Status != 0 {
		b = append(b, `,"http":{`...)
		if e.Method != "" {
			b = append(b, `"request":{"method":`...)
			b = appendString(b, e.Method)
			b = append(b, '}')
		}
		if e.Status != 0 {
			if e.Method != "" {
				b = append(b, ',')
			}
			b = append(b, `"response":{"status_code":`...)
			b = strconv.AppendInt(b, int64(e.Status), 10)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if len(e.Labels) > 0 {
		keys := sortedKeys(e.Labels)
		b = append(b, `,"labels":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, e.Labels[k])
		}
		b = append(b, '}')
	}
	if e.Instance != "" {
		b = append(b, `,"observer":{"name":`...)
		b = appendString(b, e.Instance)
		b = append(b, '}')
	}
	var ubuf [5]string
	rip, ruser := relatedInto(e, ubuf[:0])
	if len(rip) > 0 || len(ruser) > 0 {
		b = append(b, `,"related":{`...)
		if len(rip) > 0 {
			b = append(b, `"ip":`...)
			b = appendStrings(b, rip)
		}
		if len(ruser) > 0 {
			if len(rip) > 0 {
				b = append(b, ',')
			}
			b = append(b, `"user":`...)
			b = appendStrings(b, ruser)
		}
		b = append(b, '}')
	}
	if e.SourceIP != "" {
		b = append(b, `,"source":{"ip":`...)
		b = appendString(b, e.SourceIP)
		b = append(b, '}')
	}
	if e.Path != "" {
		b = append(b, `,"url":{"path":`...)
		b = appendString(b, e.Path)
		b = append(b, '}')
	}
	if e.UserEmail != "" || e.UserID != "" || e.UserName != "" || e.TargetUser != "" || e.TargetEmail != "" {
		b = append(b, `,"user":{`...)
		n := 0
		field := func(name, v string) {
			if v == "" {
				return
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, '"')
			b = append(b, name...)
			b = append(b, `":`...)
			b = appendString(b, v)
		}
		field("email", e.UserEmail)
		field("id", e.UserID)
		field("name", e.UserName)
		if e.TargetUser != "" || e.TargetEmail != "" {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, `"target":{`...)
			if e.TargetEmail != "" {
				b = append(b, `"email":`...)
				b = appendString(b, e.TargetEmail)
			}
			if e.TargetUser != "" {
				if e.TargetEmail != "" {
					b = append(b, ',')
				}
				b = append(b, `"id":`...)
				b = appendString(b, e.TargetUser)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if e.UserAgent != "" {
		b = append(b, `,"user_agent":{"original":`...)
		b = appendString(b, e.UserAgent)
		b = append(b, '}')
	}
	b = append(b, '}')
	return b
}

// related returns related.ip and related.user: every address and every
// user identifier the event names, de-duplicated, in a fixed order.
func related(e Event) (ips, users []string) {
	return relatedInto(e, nil)
}

// relatedInto is related appending the users to buf (no allocation when
// buf has room for five).
func relatedInto(e Event, buf []string) (ips, users []string) {
	if e.SourceIP != "" {
		ips = []string{e.SourceIP}
	}
	users = buf
	for _, u := range [...]string{e.UserEmail, e.UserID, e.UserName, e.TargetEmail, e.TargetUser} {
		if u == "" {
			continue
		}
		dup := false
		for _, x := range users {
			if x == u {
				dup = true
				break
			}
		}
		if !dup {
			users = append(users, u)
		}
	}
	return ips, users
}

// Sanitize returns e as the canonical encoding records it: time in UTC to
// the microsecond; outcome one of the ECS values; path without query,
// fragment or reset token; source IP in canonical form (dropped when not
// an address); emails lower-cased (as better-auth keys them); labels with
// secret-looking or malformed names dropped; strings valid UTF-8 and
// within the length caps. It is idempotent.
func Sanitize(e Event) Event {
	e = sanitizeFields(e)
	e.Labels = sanitizedLabels(e.Labels)
	return e
}

// sanitizeFields is Sanitize without the labels: it allocates only for a
// value it has to change.
func sanitizeFields(e Event) Event {
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	switch e.Outcome {
	case OutcomeSuccess, OutcomeFailure, OutcomeUnknown:
	default:
		e.Outcome = OutcomeUnknown
	}
	e.ID = clean(e.ID, maxShort)
	e.Action = Action(clean(string(e.Action), maxShort))
	e.Reason = clean(e.Reason, maxShort)
	e.UserID = clean(e.UserID, maxShort)
	e.UserEmail = clean(strings.ToLower(e.UserEmail), maxShort)
	e.UserName = clean(e.UserName, maxShort)
	e.TargetUser = clean(e.TargetUser, maxShort)
	e.TargetEmail = clean(strings.ToLower(e.TargetEmail), maxShort)
	e.UserAgent = clean(e.UserAgent, maxUserAgent)
	e.Method = clean(e.Method, 16)
	e.Path = RedactPath(clean(e.Path, maxPath))
	e.Instance = clean(e.Instance, maxShort)
	if e.SourceIP != "" {
		if a, err := netip.ParseAddr(e.SourceIP); err == nil {
			var tmp [64]byte
			if c := a.WithZone("").Unmap().AppendTo(tmp[:0]); string(c) != e.SourceIP {
				e.SourceIP = string(c)
			}
		} else {
			e.SourceIP = ""
		}
	}
	if e.Status < 0 || e.Status > 999 {
		e.Status = 0
	}
	return e
}

// sanitizedLabels returns a copy of labels without secret-looking or
// malformed names, values cleaned, at most maxLabels of them (nil when
// none is left).
func sanitizedLabels(labels map[string]string) map[string]string {
	if len(labels) == 0 {
		return nil
	}
	out := make(map[string]string, len(labels))
	for _, k := range sortedKeys(labels) {
		if len(out) == maxLabels {
			break
		}
		if !labelKeyOK(k) || secretName(k) {
			continue
		}
		out[k] = clean(labels[k], maxShort)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// RedactPath returns p without query string or fragment and with the
// token of a better-auth reset link (/api/auth/reset-password/<token>)
// replaced by "REDACTED".
func RedactPath(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	const reset = "/reset-password/"
	if i := strings.Index(p, reset); i >= 0 && len(p) > i+len(reset) && p[i+len(reset):] != "REDACTED" {
		p = p[:i+len(reset)] + "REDACTED"
	}
	return p
}

// secretName reports whether a label name suggests a secret value.
func secretName(k string) bool {
	k = strings.ToLower(k)
	for _, s := range [...]string{"password", "passwd", "secret", "token", "cookie", "authorization", "session", "otp", "apikey", "api_key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// labelKeyOK accepts ECS label names: [A-Za-z0-9_], 1 to 64 bytes.
func labelKeyOK(k string) bool {
	if k == "" || len(k) > maxLabelKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// clean makes s valid UTF-8 and at most max bytes, cut at a rune boundary.
func clean(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) > max {
		s = s[:max]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. s is valid UTF-8 (Sanitize
// made it so); only '"', '\\' and control characters are escaped, so the
// bytes are the same on every run and in every sink.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
