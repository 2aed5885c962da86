package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// guardProcessCaddyfile is one edge process with the auth guard; {STORE}
// picks the lockout store and {GUARD} adds options.
const guardProcessCaddyfile = `{
	admin 127.0.0.1:{ADMINPORT}
	auto_https off
	persist_config off
	ocomms {
		{REDIS}
		secret {env.OCOMMS_SECRET}
	}
}
http://127.0.0.1:{PORT} {
	ocomms_auth_guard {
		store {STORE}
		{GUARD}
	}
	reverse_proxy {UPSTREAM}
}
`

// guardUpstream is the demo app counting the auth requests reaching it.
type guardUpstream struct {
	auth atomic.Int64
	addr string
}

func startGuardUpstream(t *testing.T) *guardUpstream {
	t.Helper()
	u := &guardUpstream{}
	app := demoupstream.New(demoupstream.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/auth/") {
			u.auth.Add(1)
		}
		app.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	u.addr = strings.TrimPrefix(srv.URL, "http://")
	return u
}

// guardProcessEnv is the environment of a guard edge process.
const guardProcessEnv = "OCOMMS_SECRET=guard-process-test-secret"

// guardConfig fills guardProcessCaddyfile for an edge in front of up on
// the lockout store (on redisURL when not empty) with guard's options and
// a free admin address; it returns the Caddyfile and the admin address.
func guardConfig(t *testing.T, up *guardUpstream, store, redisURL, guard string) (cfg, admin string) {
	t.Helper()
	admin, adminPort := freeAdminAddr(t)
	redisLine := ""
	if redisURL != "" {
		redisLine = "redis " + redisURL
	}
	cfg = strings.NewReplacer("{ADMINPORT}", adminPort, "{REDIS}", redisLine,
		"{STORE}", store, "{GUARD}", guard, "{UPSTREAM}", up.addr).Replace(guardProcessCaddyfile)
	return cfg, admin
}

// startGuardProcess runs an edge process; it returns the process and its
// admin address.
func startGuardProcess(t *testing.T, up *guardUpstream, store, redisURL, guard string) (*edgeProcess, string) {
	t.Helper()
	cfg, admin := guardConfig(t, up, store, redisURL, guard)
	return startEdgeProcess(t, cfg, guardProcessEnv), admin
}

// startGuardOnRedis starts the counting demo app and a redis-server of the
// test's own for guard edge processes (which it leaves to the test).
func startGuardOnRedis(t *testing.T) (*guardUpstream, *testsupport.RedisServer) {
	t.Helper()
	skipInShort(t, "builds the binary")
	return startGuardUpstream(t), testsupport.StartRedis(t)
}

// signInAt posts a JSON sign-in to an edge process.
func signInAt(t *testing.T, p *edgeProcess, email, password string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(p.URL("/api/auth/sign-in/email"), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func lockDemoUser(t *testing.T, p *edgeProcess) {
	t.Helper()
	for i := 0; i < 5; i++ {
		if s, b := signInAt(t, p, demoupstream.DemoEmail, "wrong password"); s != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, s, b)
		}
	}
	if s, b := signInAt(t, p, demoupstream.DemoEmail, demoupstream.DefaultPassword); s != 429 || !strings.Contains(b, "ACCOUNT_TEMPORARILY_LOCKED") {
		t.Fatalf("not locked: %d %s", s, b)
	}
}

func TestAuthGuardRedisLockSurvivesEdgeRestart(t *testing.T) {
	up, rs := startGuardOnRedis(t)
	first, _ := startGuardProcess(t, up, "redis", rs.URL(), "")
	lockDemoUser(t, first)
	first.kill(t)
	second, admin := startGuardProcess(t, up, "redis", rs.URL(), "")
	hits := up.auth.Load()
	s, b := signInAt(t, second, demoupstream.DemoEmail, demoupstream.DefaultPassword)
	if s != 429 || !strings.Contains(b, "ACCOUNT_TEMPORARILY_LOCKED") || up.auth.Load() != hits {
		t.Fatalf("after a restart on Redis: %d %s", s, b)
	}
	// The admin API lists it from Redis.
	resp, err := http.Get("http://" + admin + "/ocomms/lockouts")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Lockouts []struct {
			Key         string
			Failures    int
			LockedUntil string `json:"locked_until"`
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list.Lockouts) != 1 || list.Lockouts[0].Failures != 5 || list.Lockouts[0].LockedUntil == "" {
		t.Fatalf("admin list over Redis: %v %+v", err, list)
	}
	// The same restart on the memory store forgets the lock: the restart
	// above was real.
	mem, _ := startGuardProcess(t, up, "memory", "", "")
	lockDemoUser(t, mem)
	mem.kill(t)
	mem2, _ := startGuardProcess(t, up, "memory", "", "")
	if s, b := signInAt(t, mem2, demoupstream.DemoEmail, demoupstream.DefaultPassword); s != 200 {
		t.Fatalf("memory store after restart: %d %s", s, b)
	}
}

func TestAuthGuardKilledRedisFailsClosed(t *testing.T) {
	up, rs := startGuardOnRedis(t)
	closed, _ := startGuardProcess(t, up, "redis", rs.URL(), "")
	open, _ := startGuardProcess(t, up, "redis", rs.URL(), "on_store_error open")
	if s, _ := signInAt(t, closed, demoupstream.DemoEmail, demoupstream.DefaultPassword); s != 200 {
		t.Fatalf("with Redis up: %d", s)
	}
	rs.Stop()
	hits := up.auth.Load()
	for i := 0; i < 10; i++ {
		s, b := signInAt(t, closed, demoupstream.DemoEmail, "wrong password")
		if s != 503 || !strings.Contains(b, "SIGN_IN_UNAVAILABLE") {
			t.Fatalf("Redis down, attempt %d: %d %s (want 503, not a bypass)", i+1, s, b)
		}
	}
	if up.auth.Load() != hits {
		t.Fatalf("%d sign-ins reached the app while the store was down", up.auth.Load()-hits)
	}
	if s, _ := signInAt(t, open, demoupstream.DemoEmail, demoupstream.DefaultPassword); s != 200 {
		t.Fatalf("on_store_error open with Redis down: %d, want the app's 200", s)
	}
	rs.Start()
	// go-redis redials on its own; the guard answers again.
	var s int
	for i := 0; i < 50; i++ {
		if s, _ = signInAt(t, closed, demoupstream.DemoEmail, demoupstream.DefaultPassword); s == 200 {
			break
		}
	}
	if s != 200 {
		t.Fatalf("after Redis came back: %d", s)
	}
}

func TestAuthGuardLockoutCommand(t *testing.T) {
	skipInShort(t, "builds the binary")
	up := startGuardUpstream(t)
	p, admin := startGuardProcess(t, up, "memory", "", "")
	lockDemoUser(t, p)
	run := func(args ...string) string {
		t.Helper()
		out, err := ocommsCLI(t, append([]string{"lockout"}, args...)...)
		if err != nil {
			t.Fatalf("ocomms lockout %v: %v\n%s", args, err, out)
		}
		return out
	}
	list := run("list", "--address", admin)
	if !strings.Contains(list, "FAILURES") || !strings.Contains(list, " 5 ") || strings.Contains(list, "demo@") {
		t.Fatalf("list:\n%s", list)
	}
	if out := run("unlock", demoupstream.DemoEmail, "--address", admin); !strings.Contains(out, "unlocked "+demoupstream.DemoEmail) {
		t.Fatalf("unlock: %s", out)
	}
	if s, b := signInAt(t, p, demoupstream.DemoEmail, demoupstream.DefaultPassword); s != 200 {
		t.Fatalf("after the CLI unlock: %d %s", s, b)
	}
	if out := run("list", "--address", admin); !strings.Contains(out, "no accounts") {
		t.Fatalf("list after unlock:\n%s", out)
	}
	// Unlock by the key the list shows (an admin may know no email).
	lockDemoUser(t, p)
	lines := strings.Split(strings.TrimSpace(run("list", "--address", admin)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "answered by edge ") {
		t.Fatalf("list: %q", lines)
	}
	key := strings.Fields(lines[1])[0]
	if out := run("unlock", key, "--address", admin); !strings.Contains(out, "unlocked "+key) {
		t.Fatalf("unlock by key: %s", out)
	}
	if s, b := signInAt(t, p, demoupstream.DemoEmail, demoupstream.DefaultPassword); s != 200 {
		t.Fatalf("after the CLI unlock by key: %d %s", s, b)
	}
	// A stopped edge is a clear error, not a hang.
	nothing, _ := freeAdminAddr(t)
	out, err := ocommsCLI(t, "lockout", "list", "--address", nothing)
	if err == nil || !strings.Contains(out, "admin API") {
		t.Fatalf("against nothing: %v %s", err, out)
	}
}
