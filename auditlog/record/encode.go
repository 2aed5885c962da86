package record

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ocomms/ocomms-edge/secevent"
)

// TimeLayout is @timestamp: UTC, exactly six fractional digits.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Field length caps. Values beyond them are cut at a UTF-8 boundary so a
// hostile User-Agent or path cannot bloat the log.
const (
	MaxShort     = 256
	maxPath      = 2048
	MaxUserAgent = 1024
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
func MarshalEvent(e secevent.Event) ([]byte, error) {
	return appendEvent(make([]byte, 0, 512), e)
}

// appendEvent appends the canonical encoding of e to b.
func appendEvent(b []byte, e secevent.Event) ([]byte, error) {
	if err := Encodable(&e); err != nil {
		return b, err
	}
	return AppendSanitized(b, Sanitize(e)), nil
}

// Encodable checks what Sanitize cannot repair.
func Encodable(e *secevent.Event) error {
	if e.Action == "" {
		return errNoAction
	}
	if e.Time.IsZero() {
		return fmt.Errorf("audit event %s has no time", e.Action)
	}
	return nil
}

// AppendSanitized encodes an event Sanitize has already cleaned.
func AppendSanitized(b []byte, e secevent.Event) []byte {
	kind, cat, typ, _ := secevent.ECSClass(e.Action)

	b = append(b, `{"@timestamp":"`...)
	b = e.Time.AppendFormat(b, TimeLayout)
	b = append(b, `","ecs":{"version":"`+secevent.ECSVersion+`"},"event":{"action":`...)
	b = AppendString(b, string(e.Action))
	if len(cat) > 0 {
		b = append(b, `,"category":`...)
		b = appendStrings(b, cat)
	}
	if e.ID != "" {
		b = append(b, `,"id":`...)
		b = AppendString(b, e.ID)
	}
	b = append(b, `,"kind":`...)
	b = AppendString(b, kind)
	b = append(b, `,"outcome":`...)
	b = AppendString(b, string(e.Outcome))
	if e.Reason != "" {
		b = append(b, `,"reason":`...)
		b = AppendString(b, e.Reason)
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
			b = AppendString(b, e.Method)
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
		keys := SortedKeys(e.Labels)
		b = append(b, `,"labels":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			b = AppendString(b, e.Labels[k])
		}
		b = append(b, '}')
	}
	if e.Instance != "" {
		b = append(b, `,"observer":{"name":`...)
		b = AppendString(b, e.Instance)
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
		b = AppendString(b, e.SourceIP)
		b = append(b, '}')
	}
	if e.Path != "" {
		b = append(b, `,"url":{"path":`...)
		b = AppendString(b, e.Path)
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
			b = AppendString(b, v)
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
				b = AppendString(b, e.TargetEmail)
			}
			if e.TargetUser != "" {
				if e.TargetEmail != "" {
					b = append(b, ',')
				}
				b = append(b, `"id":`...)
				b = AppendString(b, e.TargetUser)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if e.UserAgent != "" {
		b = append(b, `,"user_agent":{"original":`...)
		b = AppendString(b, e.UserAgent)
		b = append(b, '}')
	}
	b = append(b, '}')
	return b
}

// Related returns related.ip and related.user: every address and every
// user identifier the event names, de-duplicated, in a fixed order.
func Related(e secevent.Event) (ips, users []string) {
	return relatedInto(e, nil)
}

// relatedInto is related appending the users to buf (no allocation when
// buf has room for five).
func relatedInto(e secevent.Event, buf []string) (ips, users []string) {
	if e.SourceIP != "" {
		ips = []string{e.SourceIP}
	}
	users = buf
	for _, u := range [...]string{e.UserEmail, e.UserID, e.UserName, e.TargetEmail, e.TargetUser} {
		if u != "" && !slices.Contains(users, u) {
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
func Sanitize(e secevent.Event) secevent.Event {
	e = SanitizeFields(e)
	e.Labels = SanitizedLabels(e.Labels)
	return e
}

// SanitizeFields is Sanitize without the labels: it allocates only for a
// value it has to change.
func SanitizeFields(e secevent.Event) secevent.Event {
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	switch e.Outcome {
	case secevent.OutcomeSuccess, secevent.OutcomeFailure, secevent.OutcomeUnknown:
	default:
		e.Outcome = secevent.OutcomeUnknown
	}
	e.ID = Clean(e.ID, MaxShort)
	e.Action = secevent.Action(Clean(string(e.Action), MaxShort))
	e.Reason = Clean(e.Reason, MaxShort)
	e.UserID = Clean(e.UserID, MaxShort)
	e.UserEmail = Clean(strings.ToLower(e.UserEmail), MaxShort)
	e.UserName = Clean(e.UserName, MaxShort)
	e.TargetUser = Clean(e.TargetUser, MaxShort)
	e.TargetEmail = Clean(strings.ToLower(e.TargetEmail), MaxShort)
	e.UserAgent = Clean(e.UserAgent, MaxUserAgent)
	e.Method = Clean(e.Method, 16)
	e.Path = RedactPath(Clean(e.Path, maxPath))
	e.Instance = Clean(e.Instance, MaxShort)
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

// SanitizedLabels returns a copy of labels without secret-looking or
// malformed names, values cleaned, at most maxLabels of them (nil when
// none is left).
func SanitizedLabels(labels map[string]string) map[string]string {
	if len(labels) == 0 {
		return nil
	}
	out := make(map[string]string, len(labels))
	for _, k := range SortedKeys(labels) {
		if len(out) == maxLabels {
			break
		}
		if !labelKeyOK(k) || secretName(k) {
			continue
		}
		out[k] = Clean(labels[k], MaxShort)
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

// Clean makes s valid UTF-8 and at most max bytes, cut at a rune boundary.
func Clean(s string, max int) string {
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

// SortedKeys returns the keys of m in order.
func SortedKeys(m map[string]string) []string {
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
		b = AppendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. s is valid UTF-8 (Sanitize
// made it so); only '"', '\\' and control characters are escaped, so the
// bytes are the same on every run and in every sink.
func AppendString(b []byte, s string) []byte {
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
