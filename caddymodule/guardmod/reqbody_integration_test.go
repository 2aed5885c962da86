package guardmod_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// TestContentTypeTricksRefusedThroughCaddy: the review's three bypasses
// get 415 JSON with the full header set, counted by reason, and never
// reach the app; a canonical sign-in is forwarded with the canonical
// Content-Type and the same bytes.
func TestContentTypeTricksRefusedThroughCaddy(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	before := ge.refusedCount(t, modkit.RefusedByAuthGuard, "media_type")
	multipart := "--XYZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n" + demoupstream.DemoEmail +
		"\r\n--XYZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nwrong\r\n--XYZ--\r\n"
	for _, tc := range []struct{ path, ct, body string }{
		{"/api/auth/sign-in/email", "application/x-www-form-urlencoded, multipart/form-data; boundary=XYZ", multipart},
		{"/api/auth/request-password-reset", "APPL\xC4\xB0CATION/JSON, application/x-www-form-urlencoded", `{"x":"&email=a@b.test&"}`},
		{"/api/auth/sign-in/email", "application/x-www-form-urlencoded, application/json", `{"email":"a@b.test","password":"x"}`},
	} {
		a := ge.send(t, http.MethodPost, tc.path, tc.ct, []byte(tc.body))
		var b struct{ Code, Message, Error string }
		if a.status != http.StatusUnsupportedMediaType || json.Unmarshal(a.body, &b) != nil || b.Code != "UNSUPPORTED_MEDIA_TYPE" || b.Message == "" || b.Error == "" {
			t.Errorf("%q: %d %s, want 415 JSON", tc.ct, a.status, a.body)
		}
		if a.header.Get("Content-Security-Policy") == "" || a.header.Get("Strict-Transport-Security") == "" {
			t.Errorf("%q: refusal without the security headers: %v", tc.ct, a.header)
		}
	}
	if n := ge.up.auth.Load(); n != 0 {
		t.Fatalf("%d refused requests reached the app", n)
	}
	if got := ge.refusedCount(t, modkit.RefusedByAuthGuard, "media_type"); got != before+3 {
		t.Fatalf("media_type refusals counted %d, want %d", got-before, 3)
	}
	body := `{"email":"` + demoupstream.DemoEmail + `","password":"wrong"}`
	if a := ge.send(t, http.MethodPost, "/api/auth/sign-in/email", "Application/JSON; charset=UTF-8", []byte(body)); a.status != 401 {
		t.Fatalf("canonical sign-in: %d %s", a.status, a.body)
	}
	if got := string(ge.up.lastBody()); got != body {
		t.Fatalf("forwarded %q, sent %q", got, body)
	}
}

// TestBodyKeyedZoneRefusesThroughCaddy: a zone keyed on a body field
// refuses a request without that field (400 JSON), counted under the rate
// limiter, not forwarded; it reads the body the guard already read.
func TestBodyKeyedZoneRefusesThroughCaddy(t *testing.T) {
	zone := `ocomms_rate_limit none {
		zone invite-email {
			match {
				path /api/auth/organization/invite-member
			}
			rate 5/1m
			key body email
		}
	}`
	ge := startGuardEdge(t, "", "", zone, demoupstream.Options{})
	before := ge.refusedCount(t, modkit.RefusedByRateLimit, "missing_field")
	a := ge.send(t, http.MethodPost, "/api/auth/organization/invite-member", "application/json", []byte(`{"role":"member","organizationId":"o1"}`))
	if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "MISSING_FIELD") {
		t.Fatalf("invitation without email: %d %s", a.status, a.body)
	}
	if got := ge.refusedCount(t, modkit.RefusedByRateLimit, "missing_field"); got != before+1 {
		t.Fatalf("rate limiter refusals %d, want 1", got-before)
	}
	if n := ge.up.auth.Load(); n != 0 {
		t.Fatalf("%d refused requests reached the app", n)
	}
	a = ge.send(t, http.MethodPost, "/api/auth/organization/invite-member", "application/json", []byte(`{"email":"a@b.test","role":"member","organizationId":"o1"}`))
	if a.status == http.StatusBadRequest || ge.up.auth.Load() != 1 {
		t.Fatalf("a well-formed invitation: %d %s, app hits %d", a.status, a.body, ge.up.auth.Load())
	}
}

// TestStalledAuthBodyGets408ThroughCaddy: a client that sends part of a
// sign-in body and stalls gets 408 JSON with the security headers once
// body_timeout passes, and the edge closes the connection. The client
// never sends the rest, so the outcome does not depend on timing.
func TestStalledAuthBodyGets408ThroughCaddy(t *testing.T) {
	ge := startGuardEdge(t, "body_timeout 300ms", "", "", demoupstream.Options{})
	conn, err := tls.Dial("tcp", "127.0.0.1:"+fmt.Sprint(ge.HTTPSPort), &tls.Config{ServerName: "localhost", InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}) //nolint:gosec // test CA
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, body, br := testsupport.SendStalled(t, conn, "POST /api/auth/sign-in/email HTTP/1.1\r\nHost: localhost\r\n"+
		"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"email\":\"a@b.test\",")
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, "REQUEST_TIMEOUT") {
		t.Fatalf("%d %s, want 408 REQUEST_TIMEOUT", resp.StatusCode, body)
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("408 without the security headers: %v", resp.Header)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("connection still open after 408 (read: %v)", err)
	}
	if n := ge.up.auth.Load(); n != 0 {
		t.Fatalf("a stalled body reached the app (%d)", n)
	}
}
