package authguard

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/authguard/twofactor"
	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

// TestClassifyTwoFactorFixtures reads every recorded answer of better-auth
// 1.4.22's twoFactor plugin as the guard does: verify answers counted as
// right, wrong or not counted; the sign-in's two-factor cookie found, the
// success's expiry of it not taken for a pending sign-in.
func TestClassifyTwoFactorFixtures(t *testing.T) {
	cases, err := fixtures.TwoFactorCases()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]twofactor.Outcome{
		"two-factor-verify-totp-enabling":          twofactor.Success,
		"two-factor-verify-totp-success":           twofactor.Success,
		"two-factor-verify-backup-code-success":    twofactor.Success,
		"two-factor-verify-totp-wrong-code":        twofactor.Failure,
		"two-factor-verify-backup-code-wrong-code": twofactor.Failure,
		"two-factor-verify-totp-without-cookie":    twofactor.NotCounted,
		"two-factor-verify-totp-used-cookie":       twofactor.NotCounted,
		"two-factor-verify-otp-none-sent":          twofactor.NotCounted,
	}
	n := 0
	for _, c := range cases {
		rel := strings.TrimPrefix(c.Request.Path, DefaultPrefix)
		switch rel {
		case pathVerifyTOTP, pathVerifyOTP, pathVerifyBackupCode:
			n++
			if got, _ := ClassifyTwoFactor(c.Response.Status, c.Response.BodyBytes()); got != want[c.Name] {
				t.Errorf("%s (%d): %v, want %v", c.Name, c.Response.Status, got, want[c.Name])
			}
			if got := setTwoFactorCookie(c.Response.Header()); got != nil {
				t.Errorf("%s: pending sign-in read from %v", c.Name, got)
			}
		case pathSignIn:
			n++
			ck := setTwoFactorCookie(c.Response.Header())
			if c.Response.Status != http.StatusOK || ck == nil || ck.Name != "better-auth.two_factor" || ck.MaxAge != 600 {
				t.Errorf("%s: two-factor cookie %v", c.Name, ck)
			}
		}
	}
	if n != len(want)+1 {
		t.Fatalf("classified %d fixtures, want %d", n, len(want)+1)
	}
}
