package guardmod_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
)

// checkRateLimitFields fails unless a 429 carries the RateLimit-Policy and
// RateLimit fields the rate limiter's 429s carry, for the named budget.
func checkRateLimitFields(t *testing.T, what string, a answer, policy, state string) {
	t.Helper()
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d %s, want 429", what, a.status, a.body)
	}
	if got := a.header.Get("RateLimit-Policy"); got != policy {
		t.Errorf("%s: RateLimit-Policy %q, want %q", what, got, policy)
	}
	if got := a.header.Get("RateLimit"); got != state {
		t.Errorf("%s: RateLimit %q, want %q", what, got, state)
	}
}

// Every 429 of the auth guard (lock, spray control, progressive refusal of
// wrong current passwords) carries the same RateLimit fields as a 429 of
// the rate limiter, through Caddy.
func TestAuthGuard429sCarryRateLimitFields(t *testing.T) {
	ge := startDefaultGuardEdge(t)

	for i := 0; i < 5; i++ {
		ge.signIn(t, demoupstream.DemoEmail, "wrong password")
	}
	checkRateLimitFields(t, "lock", ge.signIn(t, demoupstream.DemoEmail, "wrong password"),
		`"sign_in_account";q=5;w=86400`, `"sign_in_account";r=0;t=900`)

	// The locked account was the first of this IP's 20 distinct accounts.
	var spray answer
	for i := 0; i < 20 && spray.status != http.StatusTooManyRequests; i++ {
		spray = ge.signIn(t, fmt.Sprintf("spray-%d@ocomms.test", i), "wrong")
	}
	if spray.status != http.StatusTooManyRequests || spray.code() != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("spray: %d %s", spray.status, spray.body)
	}
	checkRateLimitFields(t, "spray", spray, `"sign_in_ip";q=20;w=600`, spray.header.Get("RateLimit"))
	if got := spray.header.Get("RateLimit"); got == "" || got[:len(`"sign_in_ip";r=0;t=`)] != `"sign_in_ip";r=0;t=` {
		t.Errorf("spray: RateLimit %q", got)
	}

	// A signed-in session guessing its current password.
	cookie, err := ge.up.app.NewSessionCookie(demoupstream.DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"currentPassword": "wrong current", "newPassword": "a much longer new passphrase 42"})
	var last answer
	for i := 0; i < 6; i++ {
		last = ge.send(t, http.MethodPost, "/api/auth/change-password", "application/json", body,
			"Cookie", cookie.String(), "Origin", ge.URL(""))
	}
	checkRateLimitFields(t, "current password", last, `"current_password";q=5;w=86400`, `"current_password";r=0;t=900`)
}
