package record_test

import (
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestOCSFMarksSecondFactors: the mfa_* actions and a sign-in whose
// session came with the second factor carry is_mfa in OCSF's
// Authentication class; a password sign-in does not.
func TestOCSFMarksSecondFactors(t *testing.T) {
	for _, c := range []struct {
		a      secevent.Action
		method string
		want   bool
	}{
		{secevent.ActionMFASucceeded, "totp", true},
		{secevent.ActionMFAFailed, "otp", true},
		{secevent.ActionMFALocked, "totp", true},
		{secevent.ActionMFARefused, "backup_code", true},
		{secevent.ActionSignInSucceeded, "two_factor", true},
		{secevent.ActionSignInSucceeded, "password", false},
		{secevent.ActionSignInFailed, "", false},
	} {
		e := logtest.GoldenEvent(c.a)
		e.Labels = map[string]string{"method": c.method}
		out := record.OCSF(e)
		if out["class_uid"] != 3002 {
			t.Fatalf("%s: class %v, want 3002 Authentication", c.a, out["class_uid"])
		}
		if got, _ := out["is_mfa"].(bool); got != c.want {
			t.Fatalf("%s method %q: is_mfa %v, want %v", c.a, c.method, out["is_mfa"], c.want)
		}
	}
}
