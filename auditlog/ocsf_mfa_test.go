package auditlog

import "testing"

// TestOCSFMarksSecondFactors: the mfa_* actions and a sign-in whose
// session came with the second factor carry is_mfa in OCSF's
// Authentication class; a password sign-in does not.
func TestOCSFMarksSecondFactors(t *testing.T) {
	for _, c := range []struct {
		a      Action
		method string
		want   bool
	}{
		{ActionMFASucceeded, "totp", true},
		{ActionMFAFailed, "otp", true},
		{ActionMFALocked, "totp", true},
		{ActionMFARefused, "backup_code", true},
		{ActionSignInSucceeded, "two_factor", true},
		{ActionSignInSucceeded, "password", false},
		{ActionSignInFailed, "", false},
	} {
		e := goldenEvent(c.a)
		e.Labels = map[string]string{"method": c.method}
		out := OCSF(e)
		if out["class_uid"] != 3002 {
			t.Fatalf("%s: class %v, want 3002 Authentication", c.a, out["class_uid"])
		}
		if got, _ := out["is_mfa"].(bool); got != c.want {
			t.Fatalf("%s method %q: is_mfa %v, want %v", c.a, c.method, out["is_mfa"], c.want)
		}
	}
}
