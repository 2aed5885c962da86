package guardmod_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/caddymodule/guardmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/nodeapp"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// tfCaddyfile is the guard with the two-factor defaults spelled out, in
// front of the real better-auth with its twoFactor plugin.
var tfCaddyfile = modtest.SiteCaddyfile(`localhost {
	ocomms_headers
	ocomms_auth_guard {
		session_url {APP}/api/auth/get-session
		password off
		two_factor {
			max_failures 5
			locks 1h 4h 24h
			delays 0s
			daily_cap 20
			pending_max_failures 3
			backup_max_failures 5
			send_otp_rate 3 10m
		}
	}
	ocomms_audit {
		session_url {APP}/api/auth/get-session
	}
	reverse_proxy {APP_HOST} {
		header_up X-Forwarded-For {client_ip}
	}
}
`, modtest.AuditJSONL)

// doID is do with an X-Test-Id, so that the test can ask better-auth
// whether the request reached its handler.
func (b *baEdge) doID(t *testing.T, id, path, body, cookie string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.URL(path), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", uaBrowser)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", b.origin)
	req.Header.Set(nodeapp.TestIDHeader, id)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(raw)
}

// TestBetterAuthTwoFactorGuardThroughCaddy: against better-auth 1.4.22's
// twoFactor plugin from npm, through Caddy: wrong TOTP codes are counted
// per pending sign-in (3, then sign in again) and per account (5, across
// sign-ins, then a lock); a right code before the lock succeeds and
// clears; the locked verify is answered at the edge (better-auth never
// sees it) with how to recover; a backup code recovers; verify requests
// without the two-factor cookie, or with one better-auth never issued,
// are refused at the edge; an admin unlock clears a lock; audit events
// for each.
func TestBetterAuthTwoFactorGuardThroughCaddy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy and better-auth")
	}
	e := edgetest.New(t)
	origin := "https://localhost:" + strconv.Itoa(e.HTTPSPort)
	ba := nodeapp.StartBetterAuth(t, "BA_BASE_URL="+origin, "BA_REQUIRE_VERIFICATION=1")
	e.Load(t, tfCaddyfile, "{APP}", ba.URL(), "{APP_HOST}", ba.Addr())
	b := &baEdge{Edge: e, ba: ba, origin: origin, dir: filepath.Join(e.Dir, "audit")}

	const email, password = "gus@example.test", "correct horse battery staple"
	cookie := b.verifiedUser(t, email, password)
	resp, body := b.do(t, http.MethodPost, "/api/auth/two-factor/enable", `{"password":"`+password+`"}`, cookie)
	var enabled struct {
		TOTPURI     string   `json:"totpURI"`
		BackupCodes []string `json:"backupCodes"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &enabled) != nil || len(enabled.BackupCodes) == 0 {
		t.Fatalf("enable: %d %s", resp.StatusCode, body)
	}
	u, err := url.Parse(enabled.TOTPURI)
	if err != nil || u.Query().Get("secret") == "" {
		t.Fatalf("totpURI %q", enabled.TOTPURI)
	}
	secret := u.Query().Get("secret")
	// Enabling: verified with the session (no two-factor cookie yet).
	if resp, body := b.do(t, http.MethodPost, "/api/auth/two-factor/verify-totp", `{"code":"`+testsupport.TOTP(t, secret, time.Now())+`"}`, cookie); resp.StatusCode != http.StatusOK {
		t.Fatalf("verify-totp (enabling): %d %s", resp.StatusCode, body)
	}

	signIn := func() string {
		t.Helper()
		resp, body := b.do(t, http.MethodPost, "/api/auth/sign-in/email", `{"email":"`+email+`","password":"`+password+`"}`, "")
		tf := testsupport.CookiePair(resp, ".two_factor")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"twoFactorRedirect":true`) || !strings.HasPrefix(tf, "__Secure-better-auth.two_factor=") {
			t.Fatalf("password step: %d %v %s", resp.StatusCode, resp.Header["Set-Cookie"], body)
		}
		return tf
	}
	n := 0
	verify := func(path, code, cookie string) (int, string, bool) {
		t.Helper()
		n++
		id := "tf-" + strconv.Itoa(n)
		resp, body := b.doID(t, id, "/api/auth/two-factor/"+path, `{"code":"`+code+`"}`, cookie)
		_, reached := ba.Received(t, id)
		var a struct{ Code string }
		_ = json.Unmarshal([]byte(body), &a)
		if resp.StatusCode == http.StatusOK && sessionCookie(resp) == "" {
			t.Fatalf("%s: 200 without a session: %v", path, resp.Header["Set-Cookie"])
		}
		return resp.StatusCode, a.Code, reached
	}
	expect := func(what string, status int, code string, reached bool, gotStatus int, gotCode string, gotReached bool) {
		t.Helper()
		if gotStatus != status || gotCode != code || gotReached != reached {
			t.Fatalf("%s: %d %q reached=%v, want %d %q reached=%v", what, gotStatus, gotCode, gotReached, status, code, reached)
		}
	}
	// wrongCodes sends count wrong codes (the from-th on) for the pending
	// sign-in p: better-auth refuses each one.
	wrongCodes := func(p string, count, from int) {
		t.Helper()
		for i := range count {
			st, c, r := verify("verify-totp", testsupport.WrongTOTP(t, secret, from+i), p)
			expect("wrong code", 401, "INVALID_CODE", true, st, c, r)
		}
	}

	// Fail closed: no two-factor cookie (and no session), and a cookie
	// better-auth never issued.
	st, c, r := verify("verify-totp", testsupport.TOTP(t, secret, time.Now()), "")
	expect("no cookie", 401, "INVALID_TWO_FACTOR_COOKIE", false, st, c, r)
	st, c, r = verify("verify-totp", testsupport.TOTP(t, secret, time.Now()), "__Secure-better-auth.two_factor=2fa-forged.c2ln")
	expect("forged cookie", 401, "INVALID_TWO_FACTOR_COOKIE", false, st, c, r)

	// Two wrong codes, then the right one: success clears.
	p := signIn()
	wrongCodes(p, 2, 0)
	st, c, r = verify("verify-totp", testsupport.TOTP(t, secret, time.Now()), p)
	expect("right code", 200, "", true, st, c, r)

	// A pending sign-in gets three wrong codes, then must start again.
	p = signIn()
	wrongCodes(p, 3, 10)
	st, c, r = verify("verify-totp", testsupport.TOTP(t, secret, time.Now()), p)
	expect("spent pending sign-in", 401, "TWO_FACTOR_SIGN_IN_AGAIN", false, st, c, r)

	// The account's fourth and fifth wrong codes (a new sign-in) lock it.
	p = signIn()
	wrongCodes(p, 2, 20)
	p = signIn()
	n++
	resp, body = b.doID(t, "tf-"+strconv.Itoa(n), "/api/auth/two-factor/verify-totp", `{"code":"`+testsupport.TOTP(t, secret, time.Now())+`"}`, p)
	if _, reached := ba.Received(t, "tf-"+strconv.Itoa(n)); reached {
		t.Fatal("a locked verify reached better-auth")
	}
	var lock struct {
		Code       string   `json:"code"`
		Message    string   `json:"message"`
		RetryAfter int64    `json:"retryAfter"`
		Recovery   []string `json:"recovery"`
	}
	if resp.StatusCode != http.StatusTooManyRequests || json.Unmarshal([]byte(body), &lock) != nil || lock.Code != "TWO_FACTOR_LOCKED" ||
		lock.RetryAfter < 3500 || resp.Header.Get("Retry-After") == "" || !strings.Contains(lock.Message, "backup codes") ||
		strings.Join(lock.Recovery, ",") != "wait,backup_code,admin" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("lock answer: %d %v %s", resp.StatusCode, resp.Header, body)
	}

	// A backup code recovers (its own budget), and clears the lock.
	st, c, r = verify("verify-backup-code", enabled.BackupCodes[0], p)
	expect("backup code", 200, "", true, st, c, r)
	p = signIn()
	st, c, r = verify("verify-totp", testsupport.TOTP(t, secret, time.Now()), p)
	expect("after recovery", 200, "", true, st, c, r)

	// Locked again; an admin unlock (the lockout's admin API) clears it.
	p = signIn()
	for i := range 3 {
		verify("verify-totp", testsupport.WrongTOTP(t, secret, 30+i), p)
	}
	p = signIn()
	for i := range 2 {
		verify("verify-totp", testsupport.WrongTOTP(t, secret, 40+i), p)
	}
	st, c, r = verify("verify-totp", testsupport.TOTP(t, secret, time.Now()), p)
	expect("locked again", 429, "TWO_FACTOR_LOCKED", false, st, c, r)
	raw, _ := json.Marshal(guardmod.UnlockRequest{Email: strings.ToUpper(email)})
	areq, _ := http.NewRequest(http.MethodPost, "http://"+e.AdminAddr+"/ocomms/lockouts/unlock", strings.NewReader(string(raw)))
	areq.Header.Set("Content-Type", "application/json")
	aresp, err := http.DefaultClient.Do(areq)
	if err != nil {
		t.Fatal(err)
	}
	abody, _ := io.ReadAll(aresp.Body)
	aresp.Body.Close()
	var res guardmod.UnlockResult
	if aresp.StatusCode != 200 || json.Unmarshal(abody, &res) != nil || !res.Unlocked {
		t.Fatalf("admin unlock: %d %s", aresp.StatusCode, abody)
	}
	st, c, r = verify("verify-totp", testsupport.TOTP(t, secret, time.Now()), p)
	expect("after the admin unlock", 200, "", true, st, c, r)

	// The audit trail.
	failed := modtest.WaitAudit(t, b.dir, 12, modtest.OfAction(secevent.ActionMFAFailed))
	locked := modtest.WaitAudit(t, b.dir, 2, modtest.OfAction(secevent.ActionMFALocked))[0]
	refused := modtest.WaitAudit(t, b.dir, 3, modtest.OfAction(secevent.ActionMFARefused))
	ok := modtest.WaitAudit(t, b.dir, 4, modtest.OfAction(secevent.ActionMFASucceeded))
	acct := failed[0].Labels["account_key"]
	if acct == "" || locked.Labels["account_key"] != acct || locked.Labels["failures"] != "5" || locked.Labels["lock_until"] == "" ||
		failed[0].Reason != "INVALID_CODE" || failed[0].Labels["method"] != "totp" || failed[0].SourceIP != "127.0.0.1" {
		t.Fatalf("mfa_failed %+v, mfa_locked %+v", failed[0], locked)
	}
	var reasons []string
	for _, e := range refused {
		reasons = append(reasons, e.Reason)
	}
	if !strings.Contains(strings.Join(reasons, ","), "spent") || !strings.Contains(strings.Join(reasons, ","), "locked") {
		t.Fatalf("mfa_refused reasons %v", reasons)
	}
	var methods []string
	for _, e := range ok {
		methods = append(methods, e.Labels["method"])
	}
	if !strings.Contains(strings.Join(methods, ","), "backup_code") {
		t.Fatalf("mfa_succeeded methods %v", methods)
	}
}
