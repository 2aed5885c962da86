package authguard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/password"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/jscase"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// fakeEngine is a test double of the lockout engine: threshold failures
// per lower-cased email lock it for lockFor, reservations are atomic (so
// concurrent attempts cannot pass the budget), a success clears the
// account and issues a device cookie, a recovery cookie lets one attempt
// through. The real engine's own tests live with it.
type fakeEngine struct {
	mu        sync.Mutex
	threshold int
	lockFor   time.Duration
	failures  map[string]int
	reserved  map[string]int
	fail      atomic.Bool // Begin and Settle return errors
	settled   atomic.Int64
	grants    atomic.Int64
	spray     atomic.Bool
	hard      map[string]bool
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{threshold: 5, lockFor: 15 * time.Minute, failures: map[string]int{}, reserved: map[string]int{}, hard: map[string]bool{}}
}

var errStoreDown = errors.New("store down")

func (e *fakeEngine) Begin(_ context.Context, a lockout.SignInAttempt) (lockout.Admission, error) {
	if e.fail.Load() {
		return lockout.Admission{}, errStoreDown
	}
	if e.spray.Load() {
		return lockout.Admission{Reason: lockout.ReasonSpray, RetryAfter: 10 * time.Minute}, nil
	}
	key := jscase.ToLower(a.Email)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hard[key] {
		return lockout.Admission{Reason: lockout.ReasonHardLocked}, nil
	}
	if a.RecoveryCookie == "recovery-ok" {
		e.reserved[key]++
		return lockout.Admission{Admit: true, Recovery: true}, nil
	}
	if a.DeviceCookie == "device-"+key {
		e.reserved[key]++
		return lockout.Admission{Admit: true, Trusted: true}, nil
	}
	if e.failures[key]+e.reserved[key] >= e.threshold {
		if e.failures[key] >= e.threshold {
			return lockout.Admission{Reason: lockout.ReasonLocked, RetryAfter: e.lockFor - 1500*time.Millisecond}, nil
		}
		return lockout.Admission{Reason: lockout.ReasonThrottled, RetryAfter: 2 * time.Second}, nil
	}
	e.reserved[key]++
	return lockout.Admission{Admit: true}, nil
}

func (e *fakeEngine) Settle(_ context.Context, a lockout.SignInAttempt, adm lockout.Admission, out lockout.AttemptOutcome) (lockout.Settlement, error) {
	e.settled.Add(1)
	key := jscase.ToLower(a.Email)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reserved[key]--
	if e.fail.Load() {
		return lockout.Settlement{}, errStoreDown
	}
	var s lockout.Settlement
	switch out {
	case lockout.OutcomeFailure:
		e.failures[key]++
		if e.failures[key] == e.threshold {
			s.Locked, s.LockedTill = true, time.Now().Add(e.lockFor)
		}
	case lockout.OutcomeSuccess:
		e.failures[key] = 0
		s.Cookies = append(s.Cookies, &http.Cookie{Name: lockout.DeviceCookieName, Value: "device-" + key, Path: "/", Secure: true, HttpOnly: true})
	}
	if adm.Recovery {
		s.Cookies = append(s.Cookies, &http.Cookie{Name: lockout.RecoveryCookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true})
	}
	s.Failures = e.failures[key]
	return s, nil
}

func (e *fakeEngine) GrantRecovery(context.Context) (*http.Cookie, error) {
	e.grants.Add(1)
	return &http.Cookie{Name: lockout.RecoveryCookieName, Value: "recovery-ok", Path: "/", Secure: true, HttpOnly: true}, nil
}

func (e *fakeEngine) Unlock(_ context.Context, email string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.failures[jscase.ToLower(email)]
	delete(e.failures, jscase.ToLower(email))
	return ok, nil
}

func (e *fakeEngine) List(context.Context) ([]lockout.LockoutEntry, error) { return nil, nil }

// acceptAll is a password checker that admits every password, and
// refuseAll one that refuses every password.
type checkerFunc func(string, []string) *password.Refusal

func (f checkerFunc) CheckPassword(p string, c []string) *password.Refusal { return f(p, c) }

// upstream wraps the demo app, counting what reached it and hashing the
// bodies it received.
type upstream struct {
	app  http.Handler
	hits atomic.Int64
	mu   sync.Mutex
	last received // the last request received
}

// received is what the app saw of one request.
type received struct {
	body        string // hex SHA-256 of the body
	contentType string // the Content-Type lines, joined with "|"
}

func newUpstream(app http.Handler) *upstream {
	if app == nil {
		app = demoupstream.New(demoupstream.Options{})
	}
	return &upstream{app: app}
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	u.hits.Add(1)
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	u.mu.Lock()
	u.last = received{body: hex.EncodeToString(sum[:]), contentType: strings.Join(r.Header.Values("Content-Type"), "|")}
	u.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(raw))
	u.app.ServeHTTP(w, r)
	return nil
}

// lastReceived is what the app saw of the last request (zero before
// any).
func (u *upstream) lastReceived() received {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// testGuard is a guard with the fake engine, a checker refusing passwords
// shorter than 15 bytes, recorded events and the demo app upstream.
type testGuard struct {
	g      *Guard
	engine *fakeEngine
	up     *upstream
	events *testsupport.Events
}

// noneReachedApp fails the test if any request reached the app; what
// names the requests in the message.
func (tg *testGuard) noneReachedApp(t *testing.T, what string) {
	t.Helper()
	if n := tg.up.hits.Load(); n != 0 {
		t.Fatalf("%d %s reached the app", n, what)
	}
}

func newTestGuard(t testing.TB, mod func(*GuardConfig)) *testGuard {
	t.Helper()
	tg := &testGuard{engine: newFakeEngine(), up: newUpstream(nil), events: testsupport.NewEvents()}
	cfg := GuardConfig{
		ClientIP: func(*http.Request) netip.Addr { return netip.MustParseAddr("192.0.2.7") },
		Passwords: checkerFunc(func(p string, _ []string) *password.Refusal {
			if len(p) < 15 {
				return &password.Refusal{Status: http.StatusBadRequest, Code: "PASSWORD_TOO_SHORT", Message: "Use at least 15 characters."}
			}
			return nil
		}),
		Lockout: tg.engine,
		Events:  tg.events,
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := NewGuard(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tg.g = g
	return tg
}

// do sends a request through the guard; body is JSON unless contentType
// says otherwise.
func (tg *testGuard) do(t testing.TB, method, path, contentType, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Origin", demoupstream.DefaultTrustedOrigin)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	if err := tg.g.Serve(w, r, tg.up); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return w
}

func (tg *testGuard) signIn(t testing.TB, email, password string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	return tg.do(t, http.MethodPost, "/api/auth/sign-in/email", "application/json",
		`{"email":"`+email+`","password":"`+password+`"}`, cookies...)
}

// remoteAddrIP is a ClientIP for the guard's own tests, which have no
// proxy in front: the TCP peer. (The edge passes Caddy's trusted client_ip.)
func remoteAddrIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}
