package demoupstream

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentUse drives every stateful part of the fake from many
// goroutines (run with -race to check the locking).
func TestConcurrentUse(t *testing.T) {
	h := NewHandler(Options{RateLimit: true, PollHold: 50 * time.Millisecond, StreamDelay: -1})
	srv := httptest.NewServer(h)
	defer srv.Close()
	const workers = 24
	var failures atomic.Int64
	fail := func(format string, args ...any) {
		failures.Add(1)
		t.Logf(format, args...)
	}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := fmt.Sprintf("user%d@ocomms.test", i)
			xff := fmt.Sprintf("192.0.2.%d", i)
			up := authReq(h, http.MethodPost, "/api/auth/sign-up/email", "application/json",
				`{"name":"U","email":"`+email+`","password":"password-`+email+`"}`, "X-Forwarded-For", xff)
			if up.Code != 200 {
				fail("sign-up %s: %d", email, up.Code)
				return
			}
			cookie := up.Result().Cookies()[0].String()
			for range 3 {
				if got := authReq(h, http.MethodGet, "/api/auth/get-session", "", "", "Cookie", cookie); !strings.Contains(got.Body.String(), email) {
					fail("get-session %s: %s", email, got.Body)
				}
			}
			if got := authReq(h, http.MethodPost, "/api/auth/request-password-reset", "application/json", `{"email":"`+email+`"}`); got.Code != 200 || h.LastResetToken(email) == "" {
				fail("reset request %s: %d", email, got.Code)
			}
			org := authReq(h, http.MethodPost, "/api/auth/organization/create", "application/json",
				`{"name":"O","slug":"org-`+email+`"}`, "Cookie", cookie, "Origin", DefaultTrustedOrigin)
			if org.Code != 200 {
				fail("org %s: %d %s", email, org.Code, org.Body)
			}
			_, _, body, err := send(http.MethodGet, srv.URL+"/socket.io/?EIO=4&transport=polling", "", nil)
			if err != nil || !strings.HasPrefix(body, "0{") {
				fail("handshake: %v %q", err, body)
				return
			}
			sid := body[strings.Index(body, `"sid":"`)+7:][:20]
			send(http.MethodPost, pollURL(srv.URL, sid), "40", nil)
			if _, _, got, _ := send(http.MethodGet, pollURL(srv.URL, sid), "", nil); !strings.HasPrefix(got, "40{") {
				fail("poll: %q", got)
			}
			if _, _, got, _ := send(http.MethodGet, srv.URL+"/chat", "", map[string]string{"Content-Security-Policy": fmt.Sprintf("script-src 'nonce-n%d'", i)}); strings.Count(got, fmt.Sprintf(`nonce="n%d"`, i)) != 5 {
				fail("page %d lacks its own nonce", i)
			}
		}()
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d failures", n)
	}
}
