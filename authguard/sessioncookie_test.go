package authguard

import "testing"

// TestDecodeCookieValue: one session spelled with different escapes is
// one key; what decodeURIComponent would refuse stays raw.
func TestDecodeCookieValue(t *testing.T) {
	const real = "abc123.sig+/="
	for _, spelling := range []string{"abc123.sig%2B%2F%3D", "%61bc123.sig%2B/%3D", "abc%31%323.sig+%2F="} {
		if got := decodeCookieValue(spelling); got != real {
			t.Errorf("%q decodes to %q, want %q", spelling, got, real)
		}
	}
	for _, raw := range []string{"abc%", "abc%zz", "abc%FF", "plain"} {
		if got := decodeCookieValue(raw); got != raw {
			t.Errorf("%q decodes to %q, want it unchanged", raw, got)
		}
	}
}
