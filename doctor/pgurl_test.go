package doctor

import "testing"

func TestAppTLSPolicy(t *testing.T) {
	for _, tc := range []struct {
		url                 string
		plaintext, verified bool
		mode                string
	}{
		{"postgresql://postgres:pw@db:5432/ocomms", true, false, ""},
		{"postgresql://postgres:pw@db:5432/ocomms?sslmode=disable", true, false, "disable"},
		{"postgresql://postgres:pw@db:5432/ocomms?sslmode=prefer", true, false, "prefer"},
		{"postgresql://postgres:pw@db:5432/ocomms?sslmode=allow", true, false, "allow"},
		{"postgresql://postgres:pw@db:5432/ocomms?sslmode=require", false, false, "require"},
		{"postgresql://postgres:pw@db:5432/ocomms?sslmode=no-verify", false, false, "no-verify"},
		{"postgresql://postgres:pw@db:5432/ocomms?sslmode=verify-ca", false, false, "verify-ca"},
		{"postgresql://postgres:pw@db:5432/ocomms?sslmode=VERIFY-FULL&sslrootcert=/ca.pem", false, true, "verify-full"},
		{"postgresql://postgres:pw@db:5432/ocomms?ssl=true", false, true, "require"},
	} {
		p := appTLSPolicy(tc.url)
		if p.plaintext != tc.plaintext || p.verified != tc.verified || p.mode != tc.mode || p.note == "" {
			t.Errorf("%s: got %+v", tc.url, p)
		}
	}
}

func TestSSLModeOf(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://h/db?sslmode=verify-full": "verify-full",
		"host=h sslmode='require' user=u":     "require",
		"host=h user=u":                       "",
	} {
		if got := sslmodeOf(in); got != want {
			t.Errorf("sslmodeOf(%q) = %q, want %q", in, got, want)
		}
	}
}
