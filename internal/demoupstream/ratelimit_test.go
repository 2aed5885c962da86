package demoupstream

import (
	"net/http"
	"testing"
)

func TestRateLimiter(t *testing.T) {
	wrong := `{"email":"demo@ocomms.test","password":"wrong-password"}`
	send := func(h http.Handler, path, xff string) int {
		if xff == "" {
			return authReq(h, http.MethodPost, path, "application/json", wrong).Code
		}
		return authReq(h, http.MethodPost, path, "application/json", wrong, "X-Forwarded-For", xff).Code
	}
	limited := New(Options{RateLimit: true})
	for i := range 3 {
		if got := send(limited, "/api/auth/sign-in/email", "198.51.100.1, 10.0.0.1"); got != 401 {
			t.Fatalf("request %d: %d", i+1, got)
		}
	}
	rec := authReq(limited, http.MethodPost, "/api/auth/sign-in/email", "application/json", wrong, "X-Forwarded-For", "198.51.100.1")
	if rec.Code != 429 || rec.Header().Get("Content-Type") != "text/plain;charset=UTF-8" || rec.Header().Get("X-Retry-After") == "" || rec.Header().Get("Retry-After") != "" {
		t.Errorf("4th request: %d %v", rec.Code, rec.Header())
	}
	if got := send(limited, "/api/auth/sign-in/email", "198.51.100.2"); got != 401 {
		t.Errorf("another client IP limited: %d", got)
	}
	if got := send(limited, "/api/auth/request-password-reset", "198.51.100.1"); got != 200 {
		t.Errorf("other path shares the bucket: %d", got)
	}
	for range 6 {
		if got := send(limited, "/api/auth/sign-in/email", ""); got != 401 {
			t.Errorf("request without X-Forwarded-For limited: %d", got)
		}
	}
	unlimited := New(Options{})
	for range 6 {
		if got := send(unlimited, "/api/auth/sign-in/email", "198.51.100.1"); got != 401 {
			t.Errorf("limiter on by default: %d", got)
		}
	}
}
