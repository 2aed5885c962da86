package nodeapp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// BetterAuth is a running testapps/betterauth server: real better-auth
// 1.4 on a PostgreSQL database of its own.
type BetterAuth struct {
	*App
}

// StartBetterAuth starts testapps/betterauth on a fresh database. env adds
// settings (BA_BASE_URL, BA_RATE_LIMIT=on, BA_REQUIRE_VERIFICATION=1,
// BA_TRUSTED_ORIGINS; see server.mjs).
func StartBetterAuth(t testing.TB, env ...string) *BetterAuth {
	t.Helper()
	db := testsupport.TempDatabase(t, "ocomms_ba")
	app := Start(t, "betterauth", Options{
		Args: []string{"server.mjs"},
		Env:  append([]string{"DATABASE_URL=" + db}, env...),
	})
	return &BetterAuth{App: app}
}

// Received is what better-auth's handler received for one request: the
// body as better-call parsed it, before validation.
type Received struct {
	Path        string         `json:"path"`
	Method      string         `json:"method"`
	ContentType string         `json:"contentType"`
	Body        map[string]any `json:"body"`
	// EmailLower is the body's email lower-cased by JavaScript's
	// toLowerCase, as better-auth keys accounts; nil when the body has no
	// string email.
	EmailLower *string `json:"emailLower"`
}

// TestIDHeader is the request header that names a request for Received.
const TestIDHeader = "X-Test-Id"

var testClient = &http.Client{Timeout: 10 * time.Second}

// Received returns what the handler got for the request sent with
// X-Test-Id: id, and false when no handler ran for it (the request never
// reached better-auth's endpoints).
func (b *BetterAuth) Received(t testing.TB, id string) (Received, bool) {
	t.Helper()
	var rec Received
	found := b.getJSON(t, "/__test/received?id="+url.QueryEscape(id), &rec)
	return rec, found
}

// Lookup is Received for goroutines other than the test's: it returns an
// error instead of failing the test.
func (b *BetterAuth) Lookup(id string) (Received, bool, error) {
	var rec Received
	resp, err := testClient.Get(b.URL() + "/__test/received?id=" + url.QueryEscape(id))
	if err != nil {
		return rec, false, fmt.Errorf("better-auth test server: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotFound:
		return rec, false, nil
	case http.StatusOK:
	default:
		return rec, false, fmt.Errorf("better-auth test server: received %s: status %d", id, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&rec); err != nil {
		return rec, false, fmt.Errorf("better-auth test server: received %s: %w", id, err)
	}
	return rec, true, nil
}

// Mail is one mail better-auth sent.
type Mail struct {
	To    string `json:"to"`
	Kind  string `json:"kind"` // "verify" or "reset"
	URL   string `json:"url"`
	Token string `json:"token"`
}

// Mail returns the mails sent to an address, oldest first.
func (b *BetterAuth) Mail(t testing.TB, to string) []Mail {
	t.Helper()
	var mails []Mail
	b.getJSON(t, "/__test/mail?to="+url.QueryEscape(to), &mails)
	return mails
}

func (b *BetterAuth) getJSON(t testing.TB, path string, v any) bool {
	t.Helper()
	resp, err := testClient.Get(b.URL() + path)
	if err != nil {
		t.Fatalf("better-auth test server %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return false
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("better-auth test server %s: status %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("better-auth test server %s: %v", path, err)
	}
	return true
}

// String names the server in test messages.
func (b *BetterAuth) String() string { return fmt.Sprintf("better-auth at %s", b.URL()) }
