package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog"
)

// The three bypasses of issue 12's black-box review, through a real Caddy
// in front of the real better-auth: Content-Type tricks that made the edge
// read a body one way and better-call another.

// Content-Type values of the review's findings.
const (
	// The guard saw a form (and no email in it); the app's formData()
	// followed the last media type and read the multipart fields.
	ctFormThenMultipart = "Content-Type: application/x-www-form-urlencoded, multipart/form-data; boundary=XYZ"
	// Latin1 bytes: Go lower-cases U+0130 to "i", Node reads the header as
	// latin1 ("APPLÄ°CATION") and lower-cases it byte-wise.
	ctLatin1JSONThenForm = "Content-Type: APPL\xC4\xB0CATION/JSON, application/x-www-form-urlencoded"
	// Forwarded, and better-call answered 500.
	ctFormThenJSON = "Content-Type: application/x-www-form-urlencoded, application/json"
)

func multipartXYZ(fields ...string) []byte {
	var b strings.Builder
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, "--XYZ\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", fields[i], fields[i+1])
	}
	b.WriteString("--XYZ--\r\n")
	return []byte(b.String())
}

// regressClient sends requests through the edge, each with its own test id.
type regressClient struct {
	env *authDiffEnv
	rc  *rawConn
	n   atomic.Int64
}

func newRegressClient(t *testing.T) *regressClient {
	env := startAuthDiffEnv(t)
	c := &regressClient{env: env, rc: env.dial()}
	t.Cleanup(c.rc.close)
	return c
}

// send posts body with the given header lines from client address ip and
// reports whether better-auth's handler ran for it.
func (c *regressClient) send(t *testing.T, path, ip string, body []byte, headers ...string) (authAnswer, bool) {
	t.Helper()
	id := fmt.Sprintf("%s-%d", t.Name(), c.n.Add(1))
	a, err := c.rc.send(authCase{Token: id, Path: path, Headers: headers, Body: body}, id, ip)
	if err != nil {
		t.Fatal(err)
	}
	if a.status >= 500 {
		t.Errorf("%s with %q: the edge answered %d %s", path, headers, a.status, a.body)
	}
	_, reached := c.env.BA.Received(t, id)
	return a, reached
}

func (c *regressClient) sendJSON(t *testing.T, path, ip string, v map[string]string) (authAnswer, bool) {
	t.Helper()
	raw, _ := json.Marshal(v)
	return c.send(t, path, ip, raw, "Content-Type: application/json")
}

// signUp makes an account through the edge, canonically.
func (c *regressClient) signUp(t *testing.T, email, password, ip string) {
	t.Helper()
	a, _ := c.sendJSON(t, pathSignUp, ip, map[string]string{"email": email, "password": password, "name": "Regress"})
	if a.status != http.StatusOK {
		t.Fatalf("sign-up %s: %d %s", email, a.status, a.body)
	}
}

func hasSessionCookie(a authAnswer) bool {
	for _, v := range a.header.Values("Set-Cookie") {
		if strings.Contains(v, "session_token=") && !strings.Contains(v, "session_token=;") {
			return true
		}
	}
	return false
}

// TestAuthDiffLockedAccountStaysLocked: once five wrong passwords locked an
// account, its right password sent with a multipart body under a list
// Content-Type reaches nothing: no handler runs, no session, the edge
// answers, and the lock holds. On an account not yet locked, every such
// wrong attempt the app handles is counted.
func TestAuthDiffLockedAccountStaysLocked(t *testing.T) {
	c := newRegressClient(t)
	gen := newAuthGen(7)
	email, password := "locked@authdiff.test", gen.strongPassword()
	c.signUp(t, email, password, "192.0.2.10")
	for i := range 5 {
		a, _ := c.sendJSON(t, pathSignIn, "192.0.2.11", map[string]string{"email": email, "password": "wrong password number " + fmt.Sprint(i)})
		if a.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %s", i, a.status, a.body)
		}
	}
	locked := func() {
		t.Helper()
		a, reached := c.sendJSON(t, pathSignIn, "192.0.2.12", map[string]string{"email": email, "password": password})
		if reached || a.refusal != "edge" || hasSessionCookie(a) {
			t.Fatalf("the locked account's right password: %d reached=%v %s", a.status, reached, a.body)
		}
	}
	locked()
	tricks := [][]string{
		{ctFormThenMultipart},
		{"Content-Type: multipart/form-data; boundary=XYZ"},
		{"Content-Type: application/x-www-form-urlencoded", "Content-Type: multipart/form-data; boundary=XYZ"},
		{"Content-Type: multipart/form-data; boundary=XYZ, application/x-www-form-urlencoded"},
	}
	for i, h := range tricks {
		a, reached := c.send(t, pathSignIn, fmt.Sprintf("192.0.2.%d", 20+i), multipartXYZ("email", email, "password", password), h...)
		if reached || a.refusal != "edge" || hasSessionCookie(a) {
			t.Errorf("locked account, right password, %q: %d reached=%v session=%v %s", h, a.status, reached, hasSessionCookie(a), a.body)
		}
	}
	locked()

	// Not locked yet: the same tricks with wrong passwords either never
	// reach the app or count.
	other := "unlocked@authdiff.test"
	c.signUp(t, other, gen.strongPassword(), "192.0.2.30")
	reachedN := 0
	for i, h := range tricks {
		_, reached := c.send(t, pathSignIn, fmt.Sprintf("192.0.2.%d", 40+i), multipartXYZ("email", other, "password", "wrong password "+fmt.Sprint(i)), h...)
		if reached {
			reachedN++
		}
	}
	events := c.env.waitEvents(t)
	counted := 0
	for _, evs := range events {
		for _, e := range evs {
			if e.Action == auditlog.ActionSignInFailed && e.UserEmail == other {
				counted++
			}
		}
	}
	if counted != reachedN {
		t.Errorf("%d wrong passwords reached the app, %d were counted", reachedN, counted)
	}
}

// TestAuthDiffWeakPasswordRefusedOnSignUp: a password the edge's policy
// refuses is refused in a multipart body under a list Content-Type too; no
// account is made with it.
func TestAuthDiffWeakPasswordRefusedOnSignUp(t *testing.T) {
	c := newRegressClient(t)
	gen := newAuthGen(8)
	variants := [][]string{
		{ctFormThenMultipart},
		{"Content-Type: multipart/form-data; boundary=XYZ"},
		{"Content-Type: application/x-www-form-urlencoded", "Content-Type: multipart/form-data; boundary=XYZ"},
	}
	for i, h := range variants {
		email, weak := fmt.Sprintf("weak%d@authdiff.test", i), gen.weakPassword()
		a, reached := c.send(t, pathSignUp, fmt.Sprintf("192.0.2.%d", 50+i), multipartXYZ("email", email, "password", weak, "name", "Weak"), h...)
		if reached || a.refusal != "edge" {
			t.Errorf("weak password, %q: %d reached=%v %s", h, a.status, reached, a.body)
		}
		// Straight to better-auth: the account must not exist.
		raw, _ := json.Marshal(map[string]string{"email": email, "password": weak})
		resp, err := http.Post(c.env.BA.URL()+pathSignIn, "application/json", strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("weak password, %q: better-auth signs %s in with it", h, email)
		}
	}
}

// TestAuthDiffResetZoneCounts: password-reset requests for one email under
// Content-Types the edge once read differently from better-call stay
// within the reset-request-email zone's budget: the app sends no more reset
// mails than the zone allows, from any number of client addresses.
func TestAuthDiffResetZoneCounts(t *testing.T) {
	c := newRegressClient(t)
	gen := newAuthGen(9)
	budget := c.env.fresh[zoneResetEmail] + 1
	variants := []struct {
		header string
		body   func(email string) string
	}{
		{ctLatin1JSONThenForm, func(e string) string { return `{"x":"&email=` + e + `&redirectTo=/reset&"}` }},
		{ctLatin1JSONThenForm, func(e string) string { return `{"email":"` + e + `","redirectTo":"/reset"}` }},
		{"Content-Type: application/json, application/x-www-form-urlencoded", func(e string) string { return `{"email":"` + e + `"}` }},
		{"Content-Type: application/json; charset=utf-8; charset=latin1", func(e string) string { return `{"email":"` + e + `"}` }},
		{"Content-Type: application/json , application/octet-stream", func(e string) string { return `{"email":"` + e + `"}` }},
		{"Content-Type: APPLICATION/JSONX", func(e string) string { return `{"email":"` + e + `"}` }},
	}
	for i, v := range variants {
		email := fmt.Sprintf("reset%d@authdiff.test", i)
		c.signUp(t, email, gen.strongPassword(), fmt.Sprintf("192.0.2.%d", 60+i))
		for j := range budget + 2 {
			c.send(t, pathRequestReset, fmt.Sprintf("198.51.100.%d", 10*i+j+1), []byte(v.body(email)), v.header)
		}
		mails := 0
		for _, m := range c.env.BA.Mail(t, email) {
			if m.Kind == "reset" {
				mails++
			}
		}
		if mails > budget {
			t.Errorf("%q: %d reset mails to one address, the zone allows %d", v.header, mails, budget)
		}
	}
}

// TestAuthDiffNoServerErrors: Content-Types better-call cannot read (it
// answers them with 500) never reach it, on any endpoint the edge guards.
func TestAuthDiffNoServerErrors(t *testing.T) {
	c := newRegressClient(t)
	headers := []string{
		ctFormThenJSON,
		"Content-Type: application/x-www-form-urlencoded-x, application/ld+json",
		"Content-Type: apPLicATiOn/x-WwW-fOrM-URLENcodED-X;*/*",
		"Content-Type: application/x-www-form-urlencoded; charset=utf-8, text/plain",
	}
	paths := []string{pathSignIn, pathSignUp, pathRequestReset, pathResetPassword, pathChangePass}
	n := 0
	for _, h := range headers {
		for _, p := range paths {
			n++
			body := fmt.Sprintf(`{"email":"e%d@authdiff.test","password":"Sx-0123456789abcdefghij","newPassword":"Sx-0123456789abcdefghij","token":"t"}`, n)
			// send fails the test on a 5xx; beyond that, the app must
			// either handle the request or never see it.
			a, reached := c.send(t, p, fmt.Sprintf("192.0.2.%d", 100+n), []byte(body), h)
			if !reached && a.refusal == "" {
				t.Errorf("%s %q: forwarded, and better-auth refused it before its handler: %d %s", p, h, a.status, a.body)
			}
		}
	}
}
