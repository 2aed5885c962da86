package console

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A get-session endpoint answering like better-auth with the admin
// plugin: the user's role by cookie.
func fakeApp(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/api/auth/get-session" || r.Header.Get("Authorization") != "" {
			t.Errorf("lookup %s with %v", r.URL.Path, r.Header)
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.Header.Get("Cookie") {
		case "better-auth.session_token=adm":
			w.Write([]byte(`{"session":{"token":"secret-token","userId":"u1"},"user":{"id":"u1","email":"Root@OComms.test","role":"user,admin"}}`))
		case "better-auth.session_token=usr":
			w.Write([]byte(`{"session":{"token":"t2"},"user":{"id":"u2","email":"bob@ocomms.test","role":"user"}}`))
		case "better-auth.session_token=broken":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.Write([]byte(`null`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestSessionAuthorizer(t *testing.T) {
	srv, calls := fakeApp(t)
	a, err := NewSessionAuthorizer(SessionConfig{URL: srv.URL + "/api/auth/get-session"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	a.now = func() time.Time { return now }
	req := func(cookie string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "https://edge.test/ocomms/console/", nil)
		if cookie != "" {
			r.Header.Set("Cookie", "better-auth.session_token="+cookie)
		}
		return r
	}
	op, err := a.Authorize(req("adm"))
	if err != nil || op.UserID != "u1" || op.Email != "root@ocomms.test" || op.Local {
		t.Fatalf("admin: %+v %v", op, err)
	}
	if _, err := a.Authorize(req("usr")); !errors.Is(err, ErrNotAdmin) {
		t.Errorf("non-admin: %v", err)
	}
	if _, err := a.Authorize(req("nobody")); err == nil || errors.Is(err, ErrNotAdmin) {
		t.Errorf("no session: %v", err)
	}
	before := calls.Load()
	if _, err := a.Authorize(req("")); err == nil || calls.Load() != before {
		t.Errorf("no cookie: %v, %d lookups", err, calls.Load()-before)
	}
	if _, err := a.Authorize(req("broken")); err == nil || strings.Contains(err.Error(), "broken") {
		t.Errorf("failed lookup: %v", err)
	}
	// Answers are remembered for the TTL, then asked again.
	n := calls.Load()
	a.Authorize(req("adm"))
	a.Authorize(req("usr"))
	if calls.Load() != n {
		t.Errorf("cached answers were asked again")
	}
	now = now.Add(11 * time.Second)
	a.Authorize(req("adm"))
	if calls.Load() != n+1 {
		t.Errorf("expired answer not asked again")
	}
	// A failed lookup is not remembered.
	a.Authorize(req("broken"))
	if calls.Load() != n+2 {
		t.Errorf("failed lookup was cached")
	}
	for _, bad := range []string{"", "ftp://x/get-session", "/api/auth/get-session", "http://"} {
		if _, err := NewSessionAuthorizer(SessionConfig{URL: bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHasRole(t *testing.T) {
	for _, tt := range []struct {
		role string
		want bool
	}{{"admin", true}, {"user, admin", true}, {"superadmin", false}, {"", false}, {"user", false}, {" admin ", true}} {
		if got := hasRole(tt.role, []string{"admin"}); got != tt.want {
			t.Errorf("%q: %v", tt.role, got)
		}
	}
}

// The local placement admits the TCP peer 127.0.0.1 or ::1 only; no
// header can make a remote peer local.
func TestLoopbackAuthorizer(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:5555": true, "[::1]:5555": true, "[::ffff:127.0.0.1]:1": true,
		"203.0.113.9:5555": false, "[2001:db8::1]:1": false, "garbage": false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/ocomms/console/", nil)
		r.RemoteAddr = addr
		r.Header.Set("X-Forwarded-For", "127.0.0.1")
		op, err := LoopbackAuthorizer{}.Authorize(r)
		if (err == nil) != ok || (ok && !op.Local) {
			t.Errorf("%s: %+v %v", addr, op, err)
		}
	}
}

type fakeHealth struct{ hosts []string }

func (f *fakeHealth) Health(_ context.Context, hosts []string) (HealthReport, error) {
	f.hosts = hosts
	return HealthReport{Findings: []Finding{{Area: "redis", Name: "127.0.0.1:6379", Status: StatusOK, Detail: "PONG"}}}, nil
}

type fakeVerifier struct{ res VerifyResult }

func (f fakeVerifier) Verify(context.Context) (VerifyResult, error) { return f.res, nil }

func TestHealthAndVerify(t *testing.T) {
	tc := newTestConsole(t, admin)
	fh := &fakeHealth{}
	tc.h.cfg.Health = fh
	w := tc.get(t, "/ocomms/console/api/health")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"certificates":[]`) || !strings.Contains(w.Body.String(), "PONG") || len(fh.hosts) != 1 || fh.hosts[0] != "edge.test" {
		t.Errorf("health: %d %s %v", w.Code, w.Body, fh.hosts)
	}
	w = tc.get(t, "/ocomms/console/api/verify")
	if !strings.Contains(w.Body.String(), "cannot be verified") || strings.Contains(w.Body.String(), "last_checkpoint") {
		t.Errorf("no verifier: %s", w.Body)
	}
	tc.h.cfg.Verifier = fakeVerifier{VerifyResult{OK: true, Records: 7, Checkpoints: 2}}
	cp := testNow.Add(-time.Minute)
	tc.ev.add(fakeCheckpoint(cp))
	var got verifyView
	decode(t, tc.get(t, "/ocomms/console/api/verify"), &got)
	if got.Verify == nil || !got.Verify.OK || got.Verify.Records != 7 || got.LastCheckpoint == nil || !got.LastCheckpoint.Equal(cp) {
		t.Errorf("verify: %+v", got)
	}
}

type fakeDoctor struct {
	runs  int
	sites []string
}

func (f *fakeDoctor) Run(_ context.Context, site string) ([]Finding, error) {
	f.runs++
	f.sites = append(f.sites, site)
	return []Finding{{Area: "doctor", Name: "headers /", Status: StatusOK, Detail: "all set"}}, nil
}

// The doctor runs on demand against the console's own origin, at most
// once a minute however many pages ask.
func TestDoctorOnDemand(t *testing.T) {
	tc := newTestConsole(t, admin)
	if w := tc.get(t, "/ocomms/console/api/doctor"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("no doctor: %d", w.Code)
	}
	fd := &fakeDoctor{}
	tc.h.cfg.Doctor = fd
	now := testNow
	tc.h.cfg.Now = func() time.Time { return now }
	for range 3 {
		w := tc.get(t, "/ocomms/console/api/doctor")
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"headers /"`) {
			t.Fatalf("doctor: %d %s", w.Code, w.Body)
		}
	}
	if fd.runs != 1 || fd.sites[0] != "https://edge.test" {
		t.Errorf("runs %d, sites %v", fd.runs, fd.sites)
	}
	now = now.Add(61 * time.Second)
	tc.get(t, "/ocomms/console/api/doctor")
	if fd.runs != 2 {
		t.Errorf("a stale run was reused: %d runs", fd.runs)
	}
}
