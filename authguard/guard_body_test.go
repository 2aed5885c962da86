package authguard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/secevent"
)

func TestBodiesForwardedByteIdentical(t *testing.T) {
	tg := newTestGuard(t, nil)
	for _, tc := range []struct{ ct, body, forwardedAs string }{
		{"application/json", "{ \"email\" : \"demo@ocomms.test\",\n\"password\":\"x\\u0041\" }  ", "application/json"},
		{"Application/JSON; charset=UTF-8", `{"email":"demo@ocomms.test","password":"x"}`, "application/json"},
		{"application/x-www-form-urlencoded", "email=demo%40ocomms.test&password=a%20b+c", "application/x-www-form-urlencoded"},
		{"application/x-www-form-urlencoded;charset=utf-8", "email=demo%40ocomms.test&password=x", "application/x-www-form-urlencoded"},
	} {
		tg.do(t, http.MethodPost, "/api/auth/sign-in/email", tc.ct, tc.body)
		sum := sha256.Sum256([]byte(tc.body))
		got := tg.up.lastReceived()
		if got.body != hex.EncodeToString(sum[:]) {
			t.Errorf("%q: the app got different bytes", tc.body)
		}
		if got.contentType != tc.forwardedAs {
			t.Errorf("%q: forwarded as %q, want the canonical %q", tc.ct, got.contentType, tc.forwardedAs)
		}
	}
}

func TestBodyRefusals(t *testing.T) {
	tg := newTestGuard(t, func(c *GuardConfig) { c.MaxBody = 100 })
	var reasons []string
	tg.g.cfg.OnBodyRefused = func(reason string) { reasons = append(reasons, reason) }
	multipart := "--XYZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nvictim@b.test\r\n--XYZ--\r\n"
	cases := []struct {
		path, ct, body string
		status         int
		code           string
	}{
		{"/sign-in/email", "application/json", `{"email":"a@b.test","password":"` + strings.Repeat("x", 100) + `"}`, 413, "PAYLOAD_TOO_LARGE"},
		{"/sign-in/email", "text/plain", `x`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "application/vnd.x+json", `{"email":"a@b.test","password":"p"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "application/x-www-form-urlencoded, multipart/form-data; boundary=XYZ", multipart, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "APPL\xC4\xB0CATION/JSON, application/x-www-form-urlencoded", `{"a":"&email=x@y.z&"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "application/x-www-form-urlencoded, application/json", `{"email":"a@b.test"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "", `{"email":"a@b.test","password":"p"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/sign-in/email", "application/json", `{"email":"a@b.test","email":"c@d.test"}`, 400, "AMBIGUOUS_BODY"},
		{"/sign-in/email", "application/json", `{"password":"weak","Password":"strong"}`, 400, "AMBIGUOUS_BODY"},
		{"/sign-in/email", "application/json", `{"email":`, 400, "INVALID_BODY"},
		{"/sign-in/email", "application/json", `{"password":"x"}`, 400, "MISSING_FIELD"},
		{"/sign-in/email", "application/json", `{"email":["a@b.test"],"password":"x"}`, 400, "MISSING_FIELD"},
		{"/sign-in/email", "application/x-www-form-urlencoded", `password=x`, 400, "MISSING_FIELD"},
		{"/sign-up/email", "application/json", `{"email":"a@b.test","name":"A"}`, 400, "MISSING_FIELD"},
		{"/sign-up/email", "application/json", `{"password":"a long passphrase ok","name":"A"}`, 400, "MISSING_FIELD"},
		{"/request-password-reset", "application/json", `{"redirectTo":"/x"}`, 400, "MISSING_FIELD"},
		{"/forget-password", "application/json", `{"email":5}`, 400, "MISSING_FIELD"},
		{"/request-password-reset", "application/x-www-form-urlencoded", `email=a%40b.test`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"/reset-password", "application/json", `{"newPassword":"a long passphrase ok"}`, 400, "MISSING_FIELD"},
		{"/reset-password", "application/json", `{"token":"t"}`, 400, "MISSING_FIELD"},
		{"/change-password", "application/json", `{"newPassword":"a long passphrase ok","currentPassword":"x"}`, 400, "MISSING_FIELD"},
		{"/change-password", "application/x-www-form-urlencoded", "newPassword=x", 415, "UNSUPPORTED_MEDIA_TYPE"},
	}
	for _, tc := range cases {
		w := tg.do(t, http.MethodPost, "/api/auth"+tc.path, tc.ct, tc.body)
		var b struct{ Code, Message, Error string }
		if w.Code != tc.status || json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Code != tc.code || b.Message == "" || b.Error == "" {
			t.Errorf("%s %q %q: %d %s, want %d %s", tc.path, tc.ct, tc.body, w.Code, w.Body, tc.status, tc.code)
		}
	}
	tg.noneReachedApp(t, "refused bodies")
	if len(reasons) != len(cases) {
		t.Fatalf("%d refusals counted, want %d", len(reasons), len(cases))
	}
	var refused int
	for _, e := range tg.events.All() {
		if e.Action != secevent.ActionRequestRefused {
			continue
		}
		refused++
		if e.Labels["by"] != "auth_guard" || e.Labels["refusal"] == "" || e.Reason == "" || e.SourceIP == "" || e.Path == "" || e.Status < 400 {
			t.Fatalf("refusal event %+v", e)
		}
	}
	if refused != len(cases) {
		t.Fatalf("%d request_refused events, want %d", refused, len(cases))
	}
}

// TestChangePasswordWithTwoSessionCookiesRefused: a decoy *.session_token
// cookie beside the real one (on one Cookie line or two) would let the
// lockout count one session while the app checks another: refused.
func TestChangePasswordWithTwoSessionCookiesRefused(t *testing.T) {
	tg := newTestGuard(t, nil)
	const body = `{"newPassword":"a long passphrase ok","currentPassword":"x"}`
	for _, cookies := range [][]string{
		{"decoy.session_token=x1; better-auth.session_token=real"},
		{"decoy.session_token=x1", "better-auth.session_token=real"},
		{"better-auth.session_token=a; __Secure-better-auth.session_token=b"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/change-password", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		for _, c := range cookies {
			r.Header.Add("Cookie", c)
		}
		w := httptest.NewRecorder()
		_ = tg.g.Serve(w, r, tg.up)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "AMBIGUOUS_BODY") {
			t.Errorf("%q: %d %s, want 400 AMBIGUOUS_BODY", cookies, w.Code, w.Body)
		}
	}
	tg.noneReachedApp(t, "requests with two session cookies")
}

// TestUnroutedMethodsRefused: a method better-auth does not route (a
// lower-case "post", WebDAV verbs) is answered by the guard, not forwarded
// past its rules.
func TestUnroutedMethodsRefused(t *testing.T) {
	tg := newTestGuard(t, nil)
	for _, m := range []string{"Post", "post", "PROPFIND", "CONNECTX"} {
		w := tg.do(t, m, "/api/auth/sign-in/email", "application/json", `{"email":"a@b.test","password":"x"}`)
		if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Body.String(), "METHOD_NOT_ALLOWED") {
			t.Errorf("%s: %d %s, want 405", m, w.Code, w.Body)
		}
	}
	tg.noneReachedApp(t, "requests with unrouted methods")
}

// TestResetTokenInQueryIsEnough: better-auth reads the reset token from the
// body or the query; either one is the field the guard keys on.
func TestResetTokenInQueryIsEnough(t *testing.T) {
	tg := newTestGuard(t, nil)
	w := tg.do(t, http.MethodPost, "/api/auth/reset-password?token=abc", "application/json", `{"newPassword":"a long passphrase ok"}`)
	if w.Code == http.StatusBadRequest && strings.Contains(w.Body.String(), "MISSING_FIELD") {
		t.Fatalf("reset with the token in the query refused: %s", w.Body)
	}
	if tg.up.hits.Load() != 1 {
		t.Fatalf("app hits %d, want 1", tg.up.hits.Load())
	}
}
