package routepath

import "testing"

func TestUnderNeedsCleanClean(t *testing.T) {
	cases := []struct {
		path, prefix string
		under, dirty bool
		clean        string
	}{
		{"/admin", "/admin", true, false, "/admin"},
		{"/ADMIN/users", "/admin", true, false, "/ADMIN/users"},
		{"/administrator", "/admin", false, false, "/administrator"},
		{"/adm", "/admin", false, false, "/adm"},
		{"//admin", "/admin", false, true, "/admin"},
		{"/x/../admin", "/admin", false, true, "/admin"},
		{"/./admin", "/admin", false, true, "/admin"},
		{`/\admin`, "/admin", false, true, "/admin"},
		{"admin", "/admin", false, true, "/admin"},
		{"", "/admin", false, true, "/"},
		{"/a.b/c", "/a.b", true, false, "/a.b/c"},
	}
	for _, c := range cases {
		if got := Under(c.path, c.prefix); got != c.under {
			t.Errorf("Under(%q, %q) = %v, want %v", c.path, c.prefix, got, c.under)
		}
		if got := NeedsClean(c.path); got != c.dirty {
			t.Errorf("NeedsClean(%q) = %v, want %v", c.path, got, c.dirty)
		}
		if got := Clean(c.path); got != c.clean {
			t.Errorf("Clean(%q) = %q, want %q", c.path, got, c.clean)
		}
	}
}
