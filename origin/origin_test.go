package origin

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://chat.example.com", "https://chat.example.com"},
		{"HTTPS://Chat.Example.COM", "https://chat.example.com"},
		{"https://chat.example.com:443", "https://chat.example.com"},
		{"http://chat.example.com:80", "http://chat.example.com"},
		{"https://chat.example.com:80", "https://chat.example.com:80"},
		{"http://localhost:8443", "http://localhost:8443"},
		{"https://localhost:08443", "https://localhost:8443"},
		{"https://bücher.example", "https://xn--bcher-kva.example"},
		{"https://BÜCHER.example", "https://xn--bcher-kva.example"},
		{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example"},
		{"https://[::1]:8443", "https://[::1]:8443"},
		{"https://[0:0::1]", "https://[::1]"},
		{"https://127.0.0.1", "https://127.0.0.1"},
		{"tauri://localhost", "tauri://localhost"},
		{"wss://chat.example.com:443", "wss://chat.example.com"},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"", "null", "chat.example.com", "https://", "https://chat.example.com/", "https://chat.example.com/path",
		"https://chat.example.com?x", "https://chat.example.com#f", "https://user@chat.example.com",
		"https://chat.example.com:", "https://chat.example.com:0", "https://chat.example.com:65536",
		"https://chat.example.com:8x", "https://[::1", "https://[::1]x", "https://[fe80::1%25eth0]",
		"https://[1.2.3.4]", "1https://x", "ht tp://x", "https://exa mple.com", "https://a..b\\c",
		"https://xn--zz", "https://\u212Aom.example.com:99999",
	} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", in, got)
		}
	}
	if _, err := Parse("null"); !errors.Is(err, ErrOpaque) {
		t.Errorf("null: %v", err)
	}
}

func TestParseAllowed(t *testing.T) {
	if c, err := ParseAllowed("https://app.example.com/"); err != nil || c != "https://app.example.com" {
		t.Fatalf("%q %v", c, err)
	}
	for in, want := range map[string]string{
		"*":                         `"*" cannot be allowed`,
		"null":                      `"null" cannot be allowed`,
		"https://*.example.com":     "wildcards are not supported",
		"https://app.example.com/x": "no path",
	} {
		if _, err := ParseAllowed(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAllowed(%q) = %v, want %q", in, err, want)
		}
	}
}

// FuzzParse: whatever Parse accepts is canonical (parsing it again gives
// it back), has no path, and is never "null".
func FuzzParse(f *testing.F) {
	for _, s := range []string{"https://chat.example.com", "http://localhost:8443", "https://bücher.example",
		"https://[::1]:443", "null", "HTTPS://A.B:0443", "tauri://localhost"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(c)
		if err != nil || again != c {
			t.Fatalf("Parse(%q) = %q, which parses to %q, %v", s, c, again, err)
		}
		scheme, rest, ok := strings.Cut(c, "://")
		if !ok || strings.ToLower(scheme) != scheme || strings.ContainsAny(rest, "/?#@ ") || c == Null {
			t.Fatalf("Parse(%q) = %q is not a canonical origin", s, c)
		}
		for i := 0; i < len(c); i++ {
			if c[i] >= 0x80 || c[i] < 0x21 {
				t.Fatalf("Parse(%q) = %q is not ASCII", s, c)
			}
		}
	})
}
