package authguard

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzNewSessionCookie reads random Set-Cookie lines of an app answer: no
// panic; a result is always "name=value" of a session_token cookie, with
// a value other than the request's.
func FuzzNewSessionCookie(f *testing.F) {
	f.Add("better-auth.session_token=t.s; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax", "")
	f.Add("__Secure-better-auth.session_token=t.s; Path=/; Secure", "t.s")
	f.Add("better-auth.session_token=; Max-Age=0; Path=/", "")
	f.Add("x.session_token=a; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "")
	f.Fuzz(func(t *testing.T, line, before string) {
		h := http.Header{}
		h.Add("Set-Cookie", line)
		got := newSessionCookie(h, before, time.Unix(1_800_000_000, 0))
		if got == "" {
			return
		}
		name, value, ok := strings.Cut(got, "=")
		if !ok || !strings.HasSuffix(name, ".session_token") || value == "" || value == before {
			t.Fatalf("%q (before %q) gave %q", line, before, got)
		}
	})
}

// FuzzLockTemplate parses random lock messages: no panic; a template that
// parses expands to its text with only {wait} and {minutes} replaced.
func FuzzLockTemplate(f *testing.F) {
	f.Add(DefaultLockMessageReset)
	f.Add("Locked {minutes} min ({wait}).")
	f.Add("{wait")
	f.Add("}{")
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := parseLockTemplate(s)
		if err != nil {
			return
		}
		got := tmpl.expand(900, "15 minutes")
		want := strings.NewReplacer("{wait}", "15 minutes", "{minutes}", "15").Replace(s)
		if got != want {
			t.Fatalf("%q expands to %q, want %q", s, got, want)
		}
	})
}
