package nodeapp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
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
	db := edgetest.TempDatabase(t, "ocomms_ba")
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
