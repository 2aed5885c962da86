package guardmod_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
)

// What the auth guard does to request bodies through Caddy: the password
// policy refuses before the app, and what it forwards is byte-identical.

func TestAuthGuardPasswordRejectionNeverReachesTheApp(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	a := ge.send(t, http.MethodPost, "/api/auth/sign-up/email", "application/json",
		[]byte(`{"name":"Eve","email":"eve@ocomms.test","password":"short pass"}`))
	if a.status != 400 || a.code() != "PASSWORD_TOO_SHORT" || ge.up.auth.Load() != 0 {
		t.Fatalf("sign-up with a short password: %d %s, upstream hits %d", a.status, a.body, ge.up.auth.Load())
	}
	var b struct{ Message, Error string }
	if json.Unmarshal(a.body, &b) != nil || b.Message == "" || b.Message != b.Error {
		t.Fatalf("rejection body %s", a.body)
	}
	ok := ge.send(t, http.MethodPost, "/api/auth/sign-up/email", "application/json",
		[]byte(`{"name":"Eve","email":"eve@ocomms.test","password":"marble quantum pelican 47 drift"}`))
	if ok.status != 200 || ge.up.auth.Load() != 1 {
		t.Fatalf("sign-up with a good password: %d %s", ok.status, ok.body)
	}
}

func TestAuthGuardForwardsBodiesByteIdentical(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	for _, tc := range []struct{ ct, body string }{
		{"application/json", "{ \"email\" :\"demo@ocomms.test\",\n \"password\" : \"x\\u00e9\\ud83d\\ude00\" }\n"},
		{"application/x-www-form-urlencoded", "email=demo%40ocomms.test&password=a+b%20c&rememberMe=true"},
		{"application/json; charset=UTF-8", `{"email":"demo@ocomms.test","password":"p","callbackURL":"/chat"}`},
	} {
		ge.send(t, http.MethodPost, "/api/auth/sign-in/email", tc.ct, []byte(tc.body), "Origin", demoupstream.DefaultTrustedOrigin)
		got := ge.up.lastBody()
		if !bytes.Equal(got, []byte(tc.body)) {
			want, have := sha256.Sum256([]byte(tc.body)), sha256.Sum256(got)
			t.Errorf("%q: the app got %q (sha256 %s, sent %s)", tc.body, got, hex.EncodeToString(have[:]), hex.EncodeToString(want[:]))
		}
	}
	// Ambiguous bodies never reach it.
	hits := ge.up.auth.Load()
	a := ge.send(t, http.MethodPost, "/api/auth/sign-in/email", "application/x-www-form-urlencoded",
		[]byte("email=demo%40ocomms.test&password=weak&password=strong"))
	if a.status != 400 || a.code() != "AMBIGUOUS_BODY" || ge.up.auth.Load() != hits {
		t.Fatalf("duplicate form key: %d %s", a.status, a.body)
	}
	big := ge.send(t, http.MethodPost, "/api/auth/sign-in/email", "application/json", bytes.Repeat([]byte(" "), 70<<10))
	if big.status != 413 || big.code() != "PAYLOAD_TOO_LARGE" || ge.up.auth.Load() != hits {
		t.Fatalf("70 KiB body: %d %s", big.status, big.body)
	}
}
