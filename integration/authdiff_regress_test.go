package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ocomms/ocomms-edge/secevent"
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
			if e.Action == secevent.ActionSignInFailed && e.UserEmail == other {
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

// sessionCookie returns the name=value of better-auth's session cookie set
// by an answer.
func sessionCookie(t *testing.T, a authAnswer) string {
	t.Helper()
	for _, v := range a.header.Values("Set-Cookie") {
		pair, _, _ := strings.Cut(v, ";")
		if name, value, _ := strings.Cut(pair, "="); strings.HasSuffix(name, ".session_token") && value != "" {
			return pair
		}
	}
	t.Fatalf("no session cookie in %v", a.header.Values("Set-Cookie"))
	return ""
}

// TestAuthDiffChangePasswordCountsTheSessionTheAppUses: wrong current
// passwords on change-password are counted against the session
// better-auth acts on, whatever other cookies ending in .session_token
// come with it. First measured with the session cookie alone: how many
// wrong guesses reach the app before the edge refuses; then each variant,
// on a session of its own and with a new decoy cookie per guess, must not
// get more through.
func TestAuthDiffChangePasswordCountsTheSessionTheAppUses(t *testing.T) {
	c := newRegressClient(t)
	gen := newAuthGen(10)
	const guesses = 8
	ipN := 0
	session := func(tag string) string {
		t.Helper()
		ipN++
		raw, _ := json.Marshal(map[string]string{"email": "chpw-" + tag + "@authdiff.test", "password": gen.strongPassword(), "name": "Chpw"})
		a, _ := c.send(t, pathSignUp, fmt.Sprintf("203.0.113.%d", ipN), raw, "Content-Type: application/json")
		if a.status != http.StatusOK {
			t.Fatalf("sign-up %s: %d %s", tag, a.status, a.body)
		}
		return sessionCookie(t, a)
	}
	// reached sends the wrong guesses with cookie(i) and counts those
	// better-auth's change-password handler answered.
	reached := func(cookie func(i int) string) int {
		t.Helper()
		n := 0
		for i := range guesses {
			ipN++
			raw, _ := json.Marshal(map[string]string{"currentPassword": fmt.Sprintf("wrong current password %d", i), "newPassword": gen.strongPassword()})
			a, handled := c.send(t, pathChangePass, fmt.Sprintf("203.0.113.%d", ipN), raw, "Content-Type: application/json", "Cookie: "+cookie(i))
			if handled && a.status == http.StatusBadRequest {
				n++
			}
		}
		return n
	}
	plain := session("plain")
	limit := reached(func(int) string { return plain })
	if limit == 0 || limit >= guesses {
		t.Fatalf("with the session cookie alone %d of %d wrong guesses reached the app; the test needs a lockout in between", limit, guesses)
	}
	variants := []struct {
		name   string
		cookie func(real string, i int) string
	}{
		{"a decoy cookie ending in .session_token first", func(real string, i int) string {
			return fmt.Sprintf("decoy%d.session_token=x%d; %s", i, i, real)
		}},
		{"a decoy after", func(real string, i int) string { return fmt.Sprintf("%s; decoy%d.session_token=x%d", real, i, i) }},
		{"the same name twice, decoy first", func(real string, i int) string {
			name, _, _ := strings.Cut(real, "=")
			return fmt.Sprintf("%s=x%d; %s", name, i, real)
		}},
		{"the same name twice, decoy last", func(real string, i int) string {
			name, _, _ := strings.Cut(real, "=")
			return fmt.Sprintf("%s; %s=x%d", real, name, i)
		}},
		{"two Cookie lines", func(real string, i int) string {
			return fmt.Sprintf("decoy%d.session_token=x%d\r\nCookie: %s", i, i, real)
		}},
		// better-call percent-decodes cookie values; each guess spells
		// the same session with one more character percent-encoded.
		{"the session percent-encoded differently each time", func(real string, i int) string {
			return percentEncodeSome(real, i+1)
		}},
		// better-call trims cookie names; Go drops a name with a space.
		{"a space before '=' of the session, a decoy beside it", func(real string, i int) string {
			name, value, _ := strings.Cut(real, "=")
			return fmt.Sprintf("%s =%s; decoy%d.session_token=x%d", name, value, i, i)
		}},
		{"a tab before the session's name, a decoy beside it", func(real string, i int) string {
			return fmt.Sprintf("decoy%d.session_token=x%d;\t%s", i, i, real)
		}},
	}
	for i, v := range variants {
		real := session(fmt.Sprint(i))
		if n := reached(func(j int) string { return v.cookie(real, j) }); n > limit {
			t.Errorf("%s: %d wrong current passwords reached the app, %d with the session alone", v.name, n, limit)
		}
	}
}

// TestAuthDiffDotSegmentsStayInTheirZones: better-auth's router resolves
// "." and ".." segments (WHATWG URL), so /api/auth/./request-password-reset
// is the reset endpoint; the edge's zones must count it as such. Reset
// requests for one email under spellings of the path with dot segments,
// from as many client addresses, get no more reset mails sent than the
// reset-request-email zone allows; sign-ups from one address under such
// spellings no more accounts than the signup-ip zone allows.
func TestAuthDiffDotSegmentsStayInTheirZones(t *testing.T) {
	c := newRegressClient(t)
	gen := newAuthGen(11)
	spell := func(path string, i int) string {
		rest := strings.TrimPrefix(path, "/api/auth")
		return []string{"/api/auth/." + rest, "/api/auth/x/.." + rest, "/api/auth/%2e" + rest, "/api/auth/%2E%2E/auth" + rest}[i%4]
	}
	email := "dots@authdiff.test"
	c.signUp(t, email, gen.strongPassword(), "192.0.2.200")
	budget := c.env.fresh[zoneResetEmail] + 1
	for i := range budget + 3 {
		c.send(t, spell(pathRequestReset, i), fmt.Sprintf("198.51.100.%d", 100+i), []byte(`{"email":"`+email+`"}`), "Content-Type: application/json")
	}
	mails := 0
	for _, m := range c.env.BA.Mail(t, email) {
		if m.Kind == "reset" {
			mails++
		}
	}
	if mails > budget {
		t.Errorf("%d reset mails to one address through dot-segment paths, the zone allows %d", mails, budget)
	}

	// signup-ip: measured with the plain path from one address, then the
	// dot-segment spellings from another must not make more accounts.
	signUps := func(ip string, path func(i int) string) int {
		n := 0
		for i := range 15 {
			raw, _ := json.Marshal(map[string]string{"email": fmt.Sprintf("dots-%s-%d@authdiff.test", ip, i), "password": gen.strongPassword(), "name": "Dots"})
			if a, _ := c.send(t, path(i), ip, raw, "Content-Type: application/json"); a.status == http.StatusOK {
				n++
			}
		}
		return n
	}
	limit := signUps("192.0.2.201", func(int) string { return pathSignUp })
	if limit == 0 || limit >= 15 {
		t.Fatalf("%d of 15 sign-ups from one address; the test needs the signup-ip zone to refuse some", limit)
	}
	if n := signUps("192.0.2.202", func(i int) string { return spell(pathSignUp, i) }); n > limit {
		t.Errorf("%d sign-ups from one address through dot-segment paths, %d through the plain path", n, limit)
	}
}

// percentEncodeSome percent-encodes the first n letters or digits of a
// cookie's value (after "name="), leaving its meaning to a decoding reader
// unchanged.
func percentEncodeSome(cookie string, n int) string {
	name, value, _ := strings.Cut(cookie, "=")
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if n > 0 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			fmt.Fprintf(&b, "%%%02X", c)
			n--
			continue
		}
		b.WriteByte(c)
	}
	return name + "=" + b.String()
}
