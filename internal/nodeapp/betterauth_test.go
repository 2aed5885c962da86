package nodeapp

import (
	"net/http"
	"strings"
	"testing"
)

// TestBetterAuthRecordsWhatTheHandlerReceived: the harness itself works —
// a sign-up reaches the real better-auth, which answers 200 and records
// the parsed body; a request without the id is not recorded.
func TestBetterAuthRecordsWhatTheHandlerReceived(t *testing.T) {
	ba := StartBetterAuth(t)
	req, _ := http.NewRequest("POST", ba.URL()+"/api/auth/sign-up/email",
		strings.NewReader(`{"email":"Harness@Example.test","password":"correct horse battery staple","name":"H"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TestIDHeader, "case-1")
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-up status %d, want 200", resp.StatusCode)
	}
	rec, ok := ba.Received(t, "case-1")
	if !ok {
		t.Fatal("no record for case-1")
	}
	if rec.Path != "/sign-up/email" || rec.Body["email"] != "Harness@Example.test" {
		t.Fatalf("record = %+v", rec)
	}
	if _, ok := ba.Received(t, "never-sent"); ok {
		t.Fatal("a record for a request never sent")
	}
	if m := ba.Mail(t, "harness@example.test"); len(m) != 1 || m[0].Kind != "verify" || m[0].Token == "" {
		t.Fatalf("mail = %+v, want one verification mail", m)
	}
}
