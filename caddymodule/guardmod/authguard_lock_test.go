package guardmod_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
)

// The auth guard's lockout through Caddy: the lock answer, its exactness
// under concurrency and across reloads, no enumeration, its place before
// the rate limiter, and the ways out of a lock.

func TestAuthGuardLocksThroughCaddy(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	failed0, locked0 := ge.decisionCount(t, "sign_in_failed"), ge.decisionCount(t, "refused_locked")
	for i := 0; i < 5; i++ {
		if a := ge.signIn(t, demoupstream.DemoEmail, "wrong password"); a.status != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, a.status, a.body)
		}
	}
	before := ge.up.auth.Load()
	a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword)
	if a.status != 429 || ge.up.auth.Load() != before {
		t.Fatalf("locked: %d %s, forwarded %v", a.status, a.body, ge.up.auth.Load() != before)
	}
	var b struct {
		Code, Message, Error, UnlockURL string
		RetryAfter                      int
	}
	_ = json.Unmarshal(a.body, &b)
	want := "Too many failed sign-in attempts. Try again in 15 minutes, or reset your password to unlock now."
	if b.Code != "ACCOUNT_TEMPORARILY_LOCKED" || b.Message != want || b.Error != want || b.RetryAfter != 900 || b.UnlockURL != "/forgot-password" {
		t.Fatalf("lock body %s", a.body)
	}
	for _, h := range []string{"Retry-After", "X-Retry-After"} {
		if a.header.Get(h) != "900" {
			t.Errorf("%s = %q", h, a.header.Get(h))
		}
	}
	// The lock answer carries the security headers too.
	if a.header.Get("Content-Security-Policy") == "" || a.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("lock answer without security headers: %v", a.header)
	}
	// Metrics count decisions by a bounded label.
	if f, l := ge.decisionCount(t, "sign_in_failed")-failed0, ge.decisionCount(t, "refused_locked")-locked0; f != 5 || l != 1 {
		t.Errorf("metrics: %d failures, %d refusals counted; want 5 and 1", f, l)
	}
}

func TestAuthGuardConcurrentFailuresForwardExactlyFive(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	var wg sync.WaitGroup
	var refused atomic.Int64
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a := ge.signIn(t, demoupstream.DemoEmail, "wrong password"); a.status == 429 {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := ge.up.auth.Load(); n != 5 {
		t.Fatalf("%d of 50 concurrent wrong attempts reached the app, want exactly 5", n)
	}
	if refused.Load() != 45 {
		t.Fatalf("%d refused, want 45", refused.Load())
	}
}

func TestAuthGuardReloadKeepsLock(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	for i := 0; i < 5; i++ {
		ge.signIn(t, demoupstream.DemoEmail, "wrong password")
	}
	// A different config (new unlock URL): a real reload, new handlers.
	ge.Load(t, authGuardCaddyfile, guardPlaceholders(ge.up.addr, "unlock_url /reset", "", "")...)
	ge.Client.CloseIdleConnections() // the old server's connections are gone
	// Until the old server has finished stopping, a request may still meet
	// it (or a connection it resets): every answer must be the lock, and
	// the new config's answer must come.
	deadline := time.Now().Add(5 * time.Second)
	for {
		body := modtest.SignInBody(demoupstream.DemoEmail, demoupstream.DefaultPassword)
		resp, err := ge.Client.Do(modtest.NewRequest(t, http.MethodPost, ge.URL("/api/auth/sign-in/email"), "application/json", bytes.NewReader(body)))
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 429 {
				t.Fatalf("after reload: %d %s: the lock was lost", resp.StatusCode, raw)
			}
			if strings.Contains(string(raw), `"unlockUrl":"/reset"`) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new config never answered: %v", err)
		}
		ge.Client.CloseIdleConnections()
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuthGuardIgnoresSpoofedForwardedFor(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	// 21 distinct accounts from one client with a new X-Forwarded-For
	// each time: the spray control sees one IP (the TCP peer, untrusted),
	// so the 21st account is refused.
	for i := 0; i < 20; i++ {
		a := ge.signIn(t, fmt.Sprintf("spray-%d@ocomms.test", i), "wrong", "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		if a.status != 401 {
			t.Fatalf("account %d: %d %s", i, a.status, a.body)
		}
	}
	a := ge.signIn(t, "spray-20@ocomms.test", "wrong", "X-Forwarded-For", "198.51.100.1")
	if a.status != 429 || a.code() != "TOO_MANY_ATTEMPTS" || strings.Contains(string(a.body), "spray-20") {
		t.Fatalf("21st account from one IP: %d %s", a.status, a.body)
	}
}

func TestAuthGuardNoEnumerationThroughCaddy(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	const unknown = "nobody-at-all@ocomms.test"
	for _, email := range []string{demoupstream.DemoEmail, unknown} {
		for i := 0; i < 5; i++ {
			if a := ge.signIn(t, email, "wrong password"); a.status != 401 {
				t.Fatalf("%s: %d", email, a.status)
			}
		}
	}
	hits := ge.up.auth.Load()
	first := ge.signIn(t, demoupstream.DemoEmail, "probe")
	for i := 0; i < 200; i++ {
		a := ge.signIn(t, demoupstream.DemoEmail, "probe")
		b := ge.signIn(t, unknown, "probe")
		if a.status != b.status || a.status != 429 || !bytes.Equal(a.body, b.body) || !bytes.Equal(a.body, first.body) {
			t.Fatalf("probe %d: %d %s vs %d %s", i, a.status, a.body, b.status, b.body)
		}
		ha, hb := maskNonce(a.header), maskNonce(b.header)
		if fmt.Sprint(ha) != fmt.Sprint(hb) {
			t.Fatalf("probe %d: headers differ:\n%v\n%v", i, ha, hb)
		}
	}
	if ge.up.auth.Load() != hits {
		t.Fatal("probes of locked accounts reached the app")
	}
}

func TestAuthGuardLockBeatsRateLimit(t *testing.T) {
	// The preset's sign-in zones (per IP 30/15m and per email 10/15m, 401s
	// only) and a tight zone of our own on the same path that would refuse
	// the 6th request outright: the locked user must still get the lock
	// answer, with its unlock path.
	rl := `ocomms_rate_limit {
		zone signin-tight {
			match {
				path /api/auth/sign-in/email
			}
			rate 5/15m
			key client_ip
		}
	}`
	ge := startGuardEdge(t, "", "", rl, demoupstream.Options{})
	for i := 0; i < 5; i++ {
		if a := ge.signIn(t, demoupstream.DemoEmail, "wrong password"); a.status != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, a.status, a.body)
		}
	}
	for i := 0; i < 20; i++ {
		a := ge.signIn(t, demoupstream.DemoEmail, "wrong password")
		if a.status != 429 || a.code() != "ACCOUNT_TEMPORARILY_LOCKED" || !strings.Contains(string(a.body), "/forgot-password") {
			t.Fatalf("locked attempt %d: %d %s (the rate limiter's 429 hid the lock answer)", i+1, a.status, a.body)
		}
	}
	// Another account from the same IP meets the rate limiter: both
	// directives are really in the chain.
	if a := ge.signIn(t, "other@ocomms.test", "wrong"); a.status != 429 || a.code() != "RATE_LIMITED" {
		t.Fatalf("other account: %d %s, want the rate limiter's 429", a.status, a.body)
	}
}

func TestAuthGuardPresetZonesLeaveRoomForTheLock(t *testing.T) {
	ge := startGuardEdge(t, "", "", "ocomms_rate_limit", demoupstream.Options{})
	// Lock three accounts in turn from one IP, then probe them: every
	// answer is the lock answer, none the preset's 429.
	for _, email := range []string{"a@ocomms.test", "b@ocomms.test", "c@ocomms.test"} {
		for i := 0; i < 5; i++ {
			if a := ge.signIn(t, email, "wrong"); a.status != 401 {
				t.Fatalf("%s attempt %d: %d %s", email, i+1, a.status, a.body)
			}
		}
		for i := 0; i < 15; i++ {
			if a := ge.signIn(t, email, "wrong"); a.code() != "ACCOUNT_TEMPORARILY_LOCKED" {
				t.Fatalf("%s locked attempt %d: %d %s", email, i+1, a.status, a.body)
			}
		}
	}
}

func TestAuthGuardUnlockPathsThroughCaddy(t *testing.T) {
	ge := startDefaultGuardEdge(t)
	ok := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword)
	device := cookieFrom(ok, "__Host-ocomms-device")
	if ok.status != 200 || device == nil || !device.Secure || !device.HttpOnly || device.Path != "/" {
		t.Fatalf("sign-in: %d, device cookie %+v", ok.status, device)
	}
	for i := 0; i < 5; i++ {
		ge.signIn(t, demoupstream.DemoEmail, "an attacker's guess")
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword); a.status != 429 {
		t.Fatalf("untrusted while locked: %d", a.status)
	}
	// The victim's browser, holding its device cookie, is not locked out.
	if a := ge.signIn(t, demoupstream.DemoEmail, demoupstream.DefaultPassword, "Cookie", device.Name+"="+device.Value, "Origin", demoupstream.DefaultTrustedOrigin); a.status != 200 {
		t.Fatalf("trusted device: %d %s", a.status, a.body)
	}
	// Another browser: reset the password, and the recovery cookie lets
	// the next sign-in through the lock.
	ge.send(t, http.MethodPost, "/api/auth/request-password-reset", "application/json", []byte(`{"email":"`+demoupstream.DemoEmail+`"}`))
	token := ge.up.app.LastResetToken(demoupstream.DemoEmail)
	const newPassword = "marble quantum pelican 47 drift"
	reset := ge.send(t, http.MethodPost, "/api/auth/reset-password", "application/json",
		[]byte(`{"newPassword":"`+newPassword+`","token":"`+token+`"}`))
	recovery := cookieFrom(reset, "__Host-ocomms-recovery")
	if reset.status != 200 || recovery == nil {
		t.Fatalf("reset: %d %v", reset.status, reset.header)
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, newPassword); a.status != 429 {
		t.Fatalf("locked without the recovery cookie: %d", a.status)
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, newPassword, "Cookie", recovery.Name+"="+recovery.Value, "Origin", demoupstream.DefaultTrustedOrigin); a.status != 200 {
		t.Fatalf("recovery sign-in: %d %s", a.status, a.body)
	}
	if a := ge.signIn(t, demoupstream.DemoEmail, newPassword); a.status != 200 {
		t.Fatalf("after the recovery sign-in the account is clear: %d %s", a.status, a.body)
	}
}
