package adminaction

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func newResolver(t *testing.T, url string, cfg SessionConfig) *SessionResolver {
	t.Helper()
	cfg.URL = url + "/api/auth/get-session"
	r, err := NewSessionResolver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSessionResolveAndCache(t *testing.T) {
	var lookups atomic.Int64
	srv := sessionServer(t, &lookups)
	r := newResolver(t, srv.URL, SessionConfig{TTL: time.Minute})
	now := time.Unix(1_800_000_000, 0)
	r.now = func() time.Time { return now }
	ctx := context.Background()

	s, err := r.Resolve(ctx, fixtureCookie)
	if err != nil || s != alice {
		t.Fatalf("resolve: %+v %v", s, err)
	}
	s, err = r.Resolve(ctx, fixtureCookie)
	if err != nil || s != alice || lookups.Load() != 1 {
		t.Fatalf("cache hit: %+v %v after %d lookups", s, err, lookups.Load())
	}
	// A cookie that names no session is no session, and cached as such.
	for i := 0; i < 2; i++ {
		s, err = r.Resolve(ctx, "better-auth.session_token=forged.sig")
		if err != nil || s.Valid() {
			t.Fatalf("forged cookie: %+v %v", s, err)
		}
	}
	if lookups.Load() != 2 {
		t.Fatalf("%d lookups, want 2", lookups.Load())
	}
	// No cookie: no lookup at all.
	if s, err := r.Resolve(ctx, ""); err != nil || s.Valid() || lookups.Load() != 2 {
		t.Fatalf("empty cookie looked up")
	}
	// Expiry.
	now = now.Add(time.Minute)
	if s, _ := r.Resolve(ctx, fixtureCookie); s != alice || lookups.Load() != 3 {
		t.Fatalf("expired entry served from cache (%d lookups)", lookups.Load())
	}
}

func TestSessionCacheBounded(t *testing.T) {
	var lookups atomic.Int64
	srv := sessionServer(t, &lookups)
	r := newResolver(t, srv.URL, SessionConfig{MaxEntries: 8})
	for i := 0; i < 50; i++ {
		if _, err := r.Resolve(context.Background(), fmt.Sprintf("c=%d", i)); err != nil {
			t.Fatal(err)
		}
		if n := r.CacheLen(); n > 8 {
			t.Fatalf("cache holds %d entries, bound 8", n)
		}
	}
	if r.CacheLen() != 8 {
		t.Fatalf("cache holds %d", r.CacheLen())
	}
	// The newest stay, the oldest went.
	before := lookups.Load()
	r.Resolve(context.Background(), "c=49")
	if lookups.Load() != before {
		t.Error("newest entry evicted")
	}
	r.Resolve(context.Background(), "c=0")
	if lookups.Load() != before+1 {
		t.Error("oldest entry kept past the bound")
	}
}

func TestSessionSingleflight(t *testing.T) {
	var lookups atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lookups.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"session":{"token":"t","userId":"u1"},"user":{"id":"u1","email":"U1@Example.test","name":"U"}}`))
	}))
	defer srv.Close()
	r := newResolver(t, srv.URL, SessionConfig{})
	var wg sync.WaitGroup
	results := make([]Session, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = r.Resolve(context.Background(), "c=same")
		}()
	}
	for lookups.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others pile up on the flight
	close(release)
	wg.Wait()
	if lookups.Load() != 1 {
		t.Errorf("%d lookups for one cookie", lookups.Load())
	}
	for _, s := range results {
		if s != (Session{UserID: "u1", Email: "u1@example.test", Name: "U"}) {
			t.Fatalf("result %+v", s)
		}
	}
}

func TestSessionErrorsNotCachedNoCookieInLogs(t *testing.T) {
	const cookie = "better-auth.session_token=SECRETTOKEN.SECRETSIG"
	var fail atomic.Bool
	fail.Store(true)
	var lookups atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lookups.Add(1)
		if fail.Load() {
			w.WriteHeader(502)
			w.Write([]byte("bad gateway " + r.Header.Get("Cookie")))
			return
		}
		w.Write([]byte("null"))
	}))
	defer srv.Close()
	core, logs := observer.New(zapcore.DebugLevel)
	r := newResolver(t, srv.URL, SessionConfig{Logger: zap.New(core)})
	for i := 0; i < 2; i++ {
		if _, err := r.Resolve(context.Background(), cookie); err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("error %v", err)
		}
	}
	if lookups.Load() != 2 {
		t.Fatalf("failed lookup cached: %d lookups", lookups.Load())
	}
	fail.Store(false)
	if _, err := r.Resolve(context.Background(), cookie); err != nil {
		t.Fatal(err)
	}
	// A down app, a non-JSON answer: errors, never with the cookie.
	down := newResolver(t, "http://127.0.0.1:1", SessionConfig{Logger: zap.New(core), Timeout: time.Second})
	down.Resolve(context.Background(), cookie)
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.Header.Get("Cookie")))
	}))
	defer junk.Close()
	newResolver(t, junk.URL, SessionConfig{Logger: zap.New(core)}).Resolve(context.Background(), cookie)

	if logs.Len() < 4 {
		t.Fatalf("%d log entries, want the failures logged", logs.Len())
	}
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, entry := range logs.All() {
		buf, err := enc.EncodeEntry(entry.Entry, entry.Context)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "SECRET") || strings.Contains(buf.String(), "session_token") {
			t.Errorf("log line carries the cookie: %s", buf)
		}
	}
}

func TestNewSessionResolverRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x/y", "not a url", "/relative"} {
		if _, err := NewSessionResolver(SessionConfig{URL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// TestSessionForget: a forgotten cookie is asked again; others stay cached.
func TestSessionForget(t *testing.T) {
	var lookups atomic.Int64
	srv := sessionServer(t, &lookups)
	r := newResolver(t, srv.URL, SessionConfig{TTL: time.Hour})
	ctx := context.Background()
	other := "better-auth.session_token=other.sig"
	for _, c := range []string{fixtureCookie, other} {
		if _, err := r.Resolve(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	r.Forget(fixtureCookie)
	r.Forget("") // no-op
	if r.CacheLen() != 1 {
		t.Fatalf("cache holds %d, want 1", r.CacheLen())
	}
	if s, err := r.Resolve(ctx, fixtureCookie); err != nil || s != alice || lookups.Load() != 3 {
		t.Fatalf("after Forget: %+v %v, %d lookups", s, err, lookups.Load())
	}
	if _, err := r.Resolve(ctx, other); err != nil || lookups.Load() != 3 {
		t.Fatalf("Forget dropped another cookie: %v", err)
	}
}
