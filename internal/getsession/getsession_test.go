package getsession

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const cookie = "better-auth.session_token=secret-token-value"

// TestFetch: the Cookie header reaches the app; a 200 answer's body comes
// back; another status, a redirect or an answer over MaxBody is an error
// that names the status but never the cookie.
func TestFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Cookie") != cookie || r.Header.Get("Accept") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte(`{"user":{"id":"u1"}}`))
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/big":
			w.Write([]byte(strings.Repeat("x", MaxBody+1)))
		case "/full":
			w.Write([]byte(strings.Repeat("x", MaxBody)))
		default:
			http.Error(w, "nope", http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	body, err := Fetch(ctx, NewClient(), srv.URL+"/ok", cookie)
	if err != nil || string(body) != `{"user":{"id":"u1"}}` {
		t.Fatalf("ok: %q, %v", body, err)
	}
	if body, err := Fetch(ctx, NewClient(), srv.URL+"/full", cookie); err != nil || len(body) != MaxBody {
		t.Fatalf("an answer of exactly MaxBody: %d bytes, %v", len(body), err)
	}
	for path, want := range map[string]string{"/redirect": "status 302", "/other": "status 401", "/big": "answer over"} {
		_, err := Fetch(ctx, NewClient(), srv.URL+path, cookie)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", path, err, want)
		} else if strings.Contains(err.Error(), "secret-token-value") {
			t.Errorf("%s: the error carries the cookie: %v", path, err)
		}
	}
	if _, err := Fetch(ctx, NewClient(), "http://127.0.0.1:1/x", cookie); err == nil || strings.Contains(err.Error(), "secret-token-value") {
		t.Errorf("unreachable app: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"http://app:3000/api/auth/get-session", "https://app.example/api/auth/get-session"} {
		if err := CheckURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "app:3000/api/auth/get-session", "ftp://app/x", "http:///path", "http://a b/"} {
		if err := CheckURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestCookieKeys: one cookie keeps its key, two cookies differ, the key
// does not contain the cookie, and another process's keys differ.
func TestCookieKeys(t *testing.T) {
	k, err := NewCookieKeys()
	if err != nil {
		t.Fatal(err)
	}
	a, b := k.Of(cookie), k.Of(cookie+"x")
	if a != k.Of(cookie) || a == b || len(a) != 32 {
		t.Fatalf("keys %x %x", a, b)
	}
	if strings.Contains(a, "secret-token-value") {
		t.Fatal("the key carries the cookie")
	}
	other, err := NewCookieKeys()
	if err != nil {
		t.Fatal(err)
	}
	if other.Of(cookie) == a {
		t.Fatal("two key sets name a cookie alike: the key is not random")
	}
}
