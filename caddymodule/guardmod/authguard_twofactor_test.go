package guardmod_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestBetterAuthTwoFactorSignInThroughCaddy: with better-auth's twoFactor
// plugin, the password step is a sign_in_succeeded marked two_factor
// pending (no session yet), and the session comes with verify-totp:
// sign_in_succeeded, method two_factor, naming the user. Enabling
// two-factor swaps the session, marked reissued.
func TestBetterAuthTwoFactorSignInThroughCaddy(t *testing.T) {
	b := startBAEdge(t, "")
	const email, password = "fay@example.test", "correct horse battery staple"
	cookie := b.verifiedUser(t, email, password)

	resp, body := b.do(t, http.MethodPost, "/api/auth/two-factor/enable", `{"password":"`+password+`"}`, cookie)
	var enabled struct {
		TOTPURI string `json:"totpURI"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &enabled) != nil {
		t.Fatalf("enable: %d %s", resp.StatusCode, body)
	}
	u, err := url.Parse(enabled.TOTPURI)
	if err != nil || u.Query().Get("secret") == "" {
		t.Fatalf("totpURI %q", enabled.TOTPURI)
	}
	secret := u.Query().Get("secret")
	resp, body = b.do(t, http.MethodPost, "/api/auth/two-factor/verify-totp", `{"code":"`+testsupport.TOTP(t, secret, time.Now())+`"}`, cookie)
	if resp.StatusCode != http.StatusOK || sessionCookie(resp) == "" {
		t.Fatalf("verify-totp (enabling): %d %s", resp.StatusCode, body)
	}
	swap := modtest.WaitAudit(t, b.dir, 1, func(e secevent.Event) bool { return e.Labels["method"] == "two_factor" })[0]
	if swap.Labels["reissued"] != "true" || swap.UserEmail != email {
		t.Fatalf("enabling two-factor: %+v", swap)
	}

	// Sign in: password first, then the code.
	resp, body = b.do(t, http.MethodPost, "/api/auth/sign-in/email", `{"email":"`+email+`","password":"`+password+`"}`, "")
	twoFactor := testsupport.CookiePair(resp, "better-auth.two_factor")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"twoFactorRedirect":true`) || twoFactor == "" || sessionCookie(resp) != "" {
		t.Fatalf("password step: %d %v %s", resp.StatusCode, resp.Header["Set-Cookie"], body)
	}
	pw := modtest.WaitAudit(t, b.dir, 1, func(e secevent.Event) bool { return e.Labels["method"] == "password" })[0]
	if pw.Labels["two_factor"] != "pending" || pw.UserEmail != email {
		t.Fatalf("password step event %+v", pw)
	}
	resp, body = b.do(t, http.MethodPost, "/api/auth/two-factor/verify-totp", `{"code":"`+testsupport.TOTP(t, secret, time.Now())+`"}`, twoFactor)
	if resp.StatusCode != http.StatusOK || sessionCookie(resp) == "" {
		t.Fatalf("verify-totp (sign-in): %d %s", resp.StatusCode, body)
	}
	in := modtest.WaitAudit(t, b.dir, 2, func(e secevent.Event) bool { return e.Labels["method"] == "two_factor" })[1]
	if in.UserEmail != email || in.UserID != swap.UserID || in.Labels["reissued"] != "" || in.Path != "/api/auth/two-factor/verify-totp" ||
		in.Labels["account_key"] != pw.Labels["account_key"] {
		t.Fatalf("two-factor sign-in event %+v", in)
	}
}
