package authguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/twofactor"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// tfApp answers like better-auth's twoFactor plugin (the wire format of
// testdata and the real-server test): sign-in gives twoFactorRedirect and
// a signed two-factor cookie; verify-totp and verify-otp take "123456",
// verify-backup-code "ABCDE-12345"; wrong ones get 401 INVALID_CODE /
// INVALID_BACKUP_CODE. It counts what reached it.
type tfApp struct {
	hits    atomic.Int64
	mu      sync.Mutex
	pending map[string]bool // two-factor cookie values (decoded) it issued
	n       int
}

func (a *tfApp) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	a.hits.Add(1)
	var body struct {
		Code string `json:"code"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	js := func(status int, v string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(v))
	}
	switch r.URL.Path {
	case "/api/auth/sign-in/email":
		a.mu.Lock()
		a.n++
		v := fmt.Sprintf("2fa-%020d.sig+/%d=", a.n, a.n) // a signature with base64 characters
		a.pending[v] = true
		a.mu.Unlock()
		w.Header().Add("Set-Cookie", "better-auth.session_token=; Max-Age=0; Path=/")
		w.Header().Add("Set-Cookie", "better-auth.two_factor="+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(v)+"; Max-Age=600; Path=/; HttpOnly; SameSite=Lax")
		js(http.StatusOK, `{"twoFactorRedirect":true}`)
		return nil
	case "/api/auth/two-factor/send-otp":
		js(http.StatusOK, `{"status":true}`)
		return nil
	}
	// As better-auth's verifyTwoFactor: the session first, the
	// two-factor cookie only without one.
	var ok bool
	if s, err := r.Cookie("better-auth.session_token"); err == nil {
		ok = s.Value == "s1.sig" // a signed-in user enabling two-factor
	} else if c, err := r.Cookie("better-auth.two_factor"); err == nil {
		a.mu.Lock()
		ok = a.pending[decodeCookieValue(c.Value)]
		a.mu.Unlock()
	}
	if !ok {
		js(http.StatusUnauthorized, `{"code":"INVALID_TWO_FACTOR_COOKIE","message":"Invalid two factor cookie"}`)
		return nil
	}
	right := body.Code == "123456"
	code := `{"code":"INVALID_CODE","message":"Invalid code"}`
	if r.URL.Path == "/api/auth/two-factor/verify-backup-code" {
		right = body.Code == "ABCDE-12345"
		code = `{"code":"INVALID_BACKUP_CODE","message":"Invalid backup code"}`
	}
	if !right {
		js(http.StatusUnauthorized, code)
		return nil
	}
	w.Header().Add("Set-Cookie", "better-auth.session_token=tok.sig; Max-Age=604800; Path=/")
	w.Header().Add("Set-Cookie", "better-auth.two_factor=; Max-Age=0; Path=/")
	js(http.StatusOK, `{"token":"tok","user":{"id":"u1"}}`)
	return nil
}

// failingStore fails every update while down is set.
type failingStore struct {
	lockout.LockStore
	down atomic.Bool
}

func (f *failingStore) Update(ctx context.Context, key string, fn lockout.UpdateFunc) error {
	if f.down.Load() {
		return errors.New("store down")
	}
	return f.LockStore.Update(ctx, key, fn)
}

type tfRig struct {
	g      *Guard
	app    *tfApp
	store  *failingStore
	events *testsupport.Events
}

func newTFRig(t *testing.T, delays ...time.Duration) *tfRig {
	t.Helper()
	if delays == nil {
		delays = []time.Duration{}
	}
	rig := &tfRig{app: &tfApp{pending: map[string]bool{}}, events: testsupport.NewEvents(),
		store: &failingStore{LockStore: lockout.NewMemoryLockStore(lockout.MemoryLockStoreOptions{})}}
	tf, err := twofactor.New(twofactor.Options{Secret: []byte("0123456789abcdef0123456789abcdef"),
		Store: twofactor.FromLockStore(rig.store), Delays: delays})
	if err != nil {
		t.Fatal(err)
	}
	rig.g, err = NewGuard(GuardConfig{
		ClientIP:  func(*http.Request) netip.Addr { return netip.MustParseAddr("192.0.2.7") },
		TwoFactor: tf,
		Events:    rig.events,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rig
}

func (rig *tfRig) post(t *testing.T, path, body string, cookies ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/api/auth"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for _, c := range cookies {
		r.Header.Add("Cookie", c)
	}
	w := httptest.NewRecorder()
	if err := rig.g.Serve(w, r, rig.app); err != nil {
		t.Fatal(err)
	}
	return w
}

// signIn signs in and returns the two-factor cookie as "name=value".
func (rig *tfRig) signIn(t *testing.T, email string) string {
	t.Helper()
	w := rig.post(t, "/sign-in/email", `{"email":"`+email+`","password":"pw"}`)
	c := setTwoFactorCookie(w.Header())
	if w.Code != http.StatusOK || c == nil {
		t.Fatalf("sign-in: %d %v", w.Code, w.Header())
	}
	return c.Name + "=" + c.Value
}

func (rig *tfRig) count(a secevent.Action) int {
	n := 0
	for _, x := range rig.events.Actions() {
		if x == a {
			n++
		}
	}
	return n
}

func code(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var b struct{ Code string }
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("answer %d %q: %v", w.Code, w.Body, err)
	}
	return b.Code
}

// TestTwoFactorFailsClosed: a verify or send-otp request with no
// two-factor cookie and no session, with two two-factor cookies, or with
// a cookie the guard never saw at sign-in never reaches the app.
func TestTwoFactorFailsClosed(t *testing.T) {
	rig := newTFRig(t)
	good := rig.signIn(t, "a@example.test")
	hits := rig.app.hits.Load()
	for _, c := range []struct {
		name, path string
		cookies    []string
		status     int
		code       string
	}{
		{"no cookie", "/two-factor/verify-totp", nil, 401, CodeInvalidTwoFactorCookie},
		{"no cookie send-otp", "/two-factor/send-otp", nil, 401, CodeInvalidTwoFactorCookie},
		{"two cookies", "/two-factor/verify-totp", []string{good, "__Secure-better-auth.two_factor=other"}, 400, "AMBIGUOUS_BODY"},
		{"two cookies one line", "/two-factor/verify-backup-code", []string{good + "; " + good}, 400, "AMBIGUOUS_BODY"},
		{"unknown cookie", "/two-factor/verify-totp", []string{"better-auth.two_factor=2fa-forged.sig"}, 401, CodeInvalidTwoFactorCookie},
		{"re-signed cookie", "/two-factor/verify-otp", []string{good + "x"}, 401, CodeInvalidTwoFactorCookie},
		{"unparsable cookie with a made-up session", "/two-factor/verify-totp", []string{"better-auth.session_token=made-up; better-auth.two_factor=2fa-x\\.sig"}, 400, "AMBIGUOUS_BODY"},
		{"two sessions", "/two-factor/verify-totp", []string{"better-auth.session_token=a; __Secure-better-auth.session_token=b"}, 400, "AMBIGUOUS_BODY"},
		// A pending sign-in's cookie with another account's session: the
		// app would check the session's code, the guard would settle the
		// pending sign-in (a success clearing its locks).
		{"pending and a session", "/two-factor/verify-totp", []string{good, "better-auth.session_token=s1.sig"}, 400, "AMBIGUOUS_BODY"},
	} {
		w := rig.post(t, c.path, `{"code":"123456"}`, c.cookies...)
		if w.Code != c.status || code(t, w) != c.code {
			t.Fatalf("%s: %d %s", c.name, w.Code, w.Body)
		}
	}
	if got := rig.app.hits.Load(); got != hits {
		t.Fatalf("%d refused requests reached the app", got-hits)
	}
	// A percent-encoded spelling of the same cookie is the same pending
	// sign-in (the app decodes it), and it works.
	name, val, _ := strings.Cut(good, "=")
	respelled := name + "=" + strings.ReplaceAll(decodeCookieValue(val), "2fa", "%32fa")
	if w := rig.post(t, "/two-factor/verify-totp", `{"code":"123456"}`, respelled); w.Code != http.StatusOK {
		t.Fatalf("respelled cookie: %d %s", w.Code, w.Body)
	}
	// The store fails: 503, nothing forwarded.
	other := rig.signIn(t, "b@example.test")
	rig.store.down.Store(true)
	hits = rig.app.hits.Load()
	if w := rig.post(t, "/two-factor/verify-totp", `{"code":"000000"}`, other); w.Code != http.StatusServiceUnavailable || code(t, w) != CodeTwoFactorUnavailable {
		t.Fatalf("store down: %d %s", w.Code, w.Body)
	}
	if rig.app.hits.Load() != hits {
		t.Fatal("forwarded while the store is down")
	}
}

// TestTwoFactorCountsLocksAndRecovers: wrong codes count per pending
// sign-in (3) and per account (5, across sign-ins); the lock answer says
// how to recover and is not forwarded; a backup code recovers and clears;
// a right code before the lock clears; events for each.
func TestTwoFactorCountsLocksAndRecovers(t *testing.T) {
	rig := newTFRig(t)
	const email = "Victim@example.test"
	// A right code after two wrong ones clears.
	p := rig.signIn(t, email)
	for range 2 {
		if w := rig.post(t, "/two-factor/verify-totp", `{"code":"000000"}`, p); w.Code != 401 || code(t, w) != CodeInvalidCode {
			t.Fatalf("wrong code: %d %s", w.Code, w.Body)
		}
	}
	if w := rig.post(t, "/two-factor/verify-totp", `{"code":"123456","trustDevice":true}`, p); w.Code != 200 {
		t.Fatalf("right code: %d %s", w.Code, w.Body)
	}
	if rig.count(secevent.ActionMFAFailed) != 2 || rig.count(secevent.ActionMFASucceeded) != 1 {
		t.Fatalf("events %v", rig.events.Actions())
	}
	// Three wrong codes end a pending sign-in.
	p = rig.signIn(t, email)
	for range 3 {
		rig.post(t, "/two-factor/verify-otp", `{"code":"000000"}`, p)
	}
	hits := rig.app.hits.Load()
	if w := rig.post(t, "/two-factor/verify-totp", `{"code":"123456"}`, p); w.Code != 401 || code(t, w) != CodeTwoFactorSignInAgain {
		t.Fatalf("spent pending sign-in: %d %s", w.Code, w.Body)
	}
	if rig.app.hits.Load() != hits {
		t.Fatal("a spent pending sign-in reached the app")
	}
	// The account's fifth wrong code (across sign-ins; the email spelled
	// otherwise is the same account) locks.
	p = rig.signIn(t, strings.ToLower(email))
	rig.post(t, "/two-factor/verify-totp", `{"code":"000000"}`, p)
	w := rig.post(t, "/two-factor/verify-totp", `{"code":"000000"}`, p)
	if w.Code != 401 || rig.count(secevent.ActionMFALocked) != 1 {
		t.Fatalf("fifth wrong code: %d %s %v", w.Code, w.Body, rig.events.Actions())
	}
	p = rig.signIn(t, email)
	hits = rig.app.hits.Load()
	w = rig.post(t, "/two-factor/verify-totp", `{"code":"123456"}`, p)
	if rig.app.hits.Load() != hits {
		t.Fatal("a locked verify reached the app")
	}
	var lock struct {
		Code       string
		Message    string
		RetryAfter int64
		Recovery   []string
	}
	_ = json.Unmarshal(w.Body.Bytes(), &lock)
	if w.Code != 429 || lock.Code != CodeTwoFactorLocked || lock.RetryAfter != 3600 || w.Header().Get("Retry-After") != "3600" ||
		strings.Join(lock.Recovery, ",") != "wait,backup_code,admin" || !strings.Contains(lock.Message, "backup codes") {
		t.Fatalf("lock answer: %d %s", w.Code, w.Body)
	}
	// A backup code recovers; the code lock is cleared.
	if w := rig.post(t, "/two-factor/verify-backup-code", `{"code":"ABCDE-12345"}`, p); w.Code != 200 {
		t.Fatalf("backup code: %d %s", w.Code, w.Body)
	}
	p = rig.signIn(t, email)
	if w := rig.post(t, "/two-factor/verify-totp", `{"code":"123456"}`, p); w.Code != 200 {
		t.Fatalf("after recovery: %d %s", w.Code, w.Body)
	}
	var locked, refused secevent.Event
	for _, e := range rig.events.All() {
		switch e.Action {
		case secevent.ActionMFALocked:
			locked = e
		case secevent.ActionMFARefused:
			refused = e
		}
	}
	if locked.Labels["method"] != "totp" || locked.Labels["account_key"] == "" || locked.Labels["lock_until"] == "" || locked.Labels["failures"] != "5" {
		t.Fatalf("mfa_locked %+v", locked)
	}
	if refused.Reason != twofactor.ReasonLocked || refused.Status != 429 || refused.Labels["account_key"] != locked.Labels["account_key"] {
		t.Fatalf("mfa_refused %+v", refused)
	}
}

// TestTwoFactorSendOTPRate: 3 send-otp per pending account per 10 minutes.
func TestTwoFactorSendOTPRate(t *testing.T) {
	rig := newTFRig(t)
	for i := range 4 {
		p := rig.signIn(t, "otp@example.test")
		w := rig.post(t, "/two-factor/send-otp", `{}`, p)
		if (i < 3) != (w.Code == 200) {
			t.Fatalf("send %d: %d %s", i+1, w.Code, w.Body)
		}
		if i == 3 && (w.Code != 429 || code(t, w) != CodeTooManyOTPRequests || w.Header().Get("Retry-After") == "") {
			t.Fatalf("send refused: %d %s", w.Code, w.Body)
		}
	}
}

// TestTwoFactorSessionSubject: verifying with a session and no
// two-factor cookie (enabling two-factor) is forwarded and counted per
// session.
func TestTwoFactorSessionSubject(t *testing.T) {
	rig := newTFRig(t)
	for i := range 6 {
		w := rig.post(t, "/two-factor/verify-totp", `{"code":"000000"}`, "better-auth.session_token=s1.sig")
		want := 401 // the app: wrong code
		if i == 5 {
			want = 429
		}
		if w.Code != want {
			t.Fatalf("attempt %d: %d %s", i+1, w.Code, w.Body)
		}
	}
}

// TestTwoFactorProgressiveRefusal: after the second wrong code the next
// must wait (429 TOO_MANY_ATTEMPTS with Retry-After), unforwarded.
func TestTwoFactorProgressiveRefusal(t *testing.T) {
	rig := newTFRig(t, 0, time.Minute)
	p := rig.signIn(t, "slow@example.test")
	rig.post(t, "/two-factor/verify-totp", `{"code":"000000"}`, p)
	if w := rig.post(t, "/two-factor/verify-totp", `{"code":"000001"}`, p); w.Code != 401 {
		t.Fatalf("second code: %d %s", w.Code, w.Body)
	}
	hits := rig.app.hits.Load()
	w := rig.post(t, "/two-factor/verify-totp", `{"code":"123456"}`, p)
	if w.Code != 429 || code(t, w) != CodeTooManyAttempts || w.Header().Get("Retry-After") != "60" || rig.app.hits.Load() != hits {
		t.Fatalf("third code at once: %d %v %s", w.Code, w.Header(), w.Body)
	}
}
