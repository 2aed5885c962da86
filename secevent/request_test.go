package secevent

import (
	"net/http/httptest"
	"testing"
)

func TestFromRequestTakesTheCallersClientIPAndNoQuery(t *testing.T) {
	r := httptest.NewRequest("POST", "/api/auth/reset-password?token=secret", nil)
	r.Header.Set("User-Agent", "ua/1")
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	e := FromRequest(r, "192.0.2.1", Event{Action: ActionRequestRefused, Reason: "X"})
	if e.SourceIP != "192.0.2.1" || e.Path != "/api/auth/reset-password" || e.Method != "POST" || e.UserAgent != "ua/1" {
		t.Fatalf("%+v", e)
	}
	if e.Action != ActionRequestRefused || e.Reason != "X" {
		t.Fatalf("the event's own fields changed: %+v", e)
	}
}

func TestStripQuery(t *testing.T) {
	for in, want := range map[string]string{
		"https://x.test/reset?token=abc#f": "https://x.test/reset",
		"https://x.test/p#frag":            "https://x.test/p",
		"inline":                           "inline",
		"":                                 "",
	} {
		if got := StripQuery(in); got != want {
			t.Errorf("StripQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrintable(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"https://chat.example", 200, "https://chat.example"},
		{"a b\r\nc", 200, "a_b__c"},
		{"évil", 200, "_vil"},
		{"é", 1, "_"}, // cut inside a rune
		{"abcdef", 3, "abc"},
		{"", 10, ""},
	} {
		if got := Printable(tc.in, tc.max); got != tc.want {
			t.Errorf("Printable(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
