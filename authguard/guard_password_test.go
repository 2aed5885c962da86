package authguard

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/password"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/secevent"
)

func TestPasswordRejectionIsNeverForwarded(t *testing.T) {
	tg := newTestGuard(t, nil)
	session, err := tg.up.app.(*demoupstream.Handler).NewSessionCookie(demoupstream.DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, body string }{
		{"/api/auth/sign-up/email", `{"name":"New","email":"new@ocomms.test","password":"short1"}`},
		{"/api/auth/change-password", `{"newPassword":"short2","currentPassword":"` + demoPassword + `"}`},
		{"/api/auth/reset-password", `{"newPassword":"short3","token":"abc"}`},
	} {
		w := tg.do(t, http.MethodPost, tc.path, "application/json", tc.body, session)
		var b struct{ Code, Message, Error string }
		if w.Code != 400 || json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Code != "PASSWORD_TOO_SHORT" || b.Message == "" || b.Error != b.Message {
			t.Errorf("%s: %d %s", tc.path, w.Code, w.Body)
		}
	}
	tg.noneReachedApp(t, "rejected passwords")
	for _, e := range tg.events.All() {
		if e.Action != secevent.ActionPasswordRejected || e.Reason != "PASSWORD_TOO_SHORT" {
			t.Errorf("event %+v", e)
		}
		if strings.Contains(e.Reason+e.UserEmail+e.Path, "short") {
			t.Errorf("event carries the password: %+v", e)
		}
	}
}

func TestSignUpContextAndEvent(t *testing.T) {
	var got []string
	tg := newTestGuard(t, func(c *GuardConfig) {
		c.Passwords = checkerFunc(func(_ string, ctx []string) *password.Refusal { got = ctx; return nil })
	})
	w := tg.do(t, http.MethodPost, "/api/auth/sign-up/email", "application/x-www-form-urlencoded",
		"name=Ann+Lee&email=Ann%40ocomms.test&password=four+random+words+here")
	if w.Code != 200 {
		t.Fatalf("sign-up %d %s", w.Code, w.Body)
	}
	if !slices.Equal(got, []string{"Ann@ocomms.test", "Ann Lee"}) {
		t.Fatalf("context %q", got)
	}
	if e, ok := tg.events.Last(secevent.ActionSignUp); !ok || e.UserEmail != "ann@ocomms.test" || e.UserID == "" {
		t.Fatalf("sign_up event %+v", e)
	}
}

func TestResetGrantsRecoveryAndChangeIsRecorded(t *testing.T) {
	tg := newTestGuard(t, nil)
	app := tg.up.app.(*demoupstream.Handler)
	tg.do(t, http.MethodPost, "/api/auth/request-password-reset", "application/json", `{"email":"`+demoupstream.DemoEmail+`"}`)
	token := app.LastResetToken(demoupstream.DemoEmail)
	if token == "" {
		t.Fatal("no reset token")
	}
	bad := tg.do(t, http.MethodPost, "/api/auth/reset-password", "application/json", `{"newPassword":"a new long passphrase here","token":"wrong"}`)
	if bad.Code != 400 || len(bad.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("bad token: %d %v", bad.Code, bad.Header())
	}
	w := tg.do(t, http.MethodPost, "/api/auth/reset-password", "application/json", `{"newPassword":"a new long passphrase here","token":"`+token+`"}`)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Set-Cookie"), lockout.RecoveryCookieName+"=recovery-ok") {
		t.Fatalf("reset: %d %v", w.Code, w.Header())
	}
	if _, ok := tg.events.Last(secevent.ActionPasswordReset); !ok || tg.engine.grants.Load() != 1 {
		t.Fatalf("events %v grants %d", tg.events.Actions(), tg.engine.grants.Load())
	}
	session, _ := app.NewSessionCookie(demoupstream.DemoEmail)
	wrong := tg.do(t, http.MethodPost, "/api/auth/change-password", "application/json", `{"newPassword":"another long passphrase","currentPassword":"nope"}`, session)
	if wrong.Code != 400 {
		t.Fatalf("change with a wrong current password: %d %s", wrong.Code, wrong.Body)
	}
	if e, ok := tg.events.Last(secevent.ActionPasswordChanged); !ok || e.Outcome != secevent.OutcomeFailure || e.Reason != CodeInvalidPassword {
		t.Fatalf("password_changed failure event %+v", e)
	}
	ok := tg.do(t, http.MethodPost, "/api/auth/change-password", "application/json", `{"newPassword":"another long passphrase","currentPassword":"a new long passphrase here"}`, session)
	if ok.Code != 200 {
		t.Fatalf("change: %d %s", ok.Code, ok.Body)
	}
	if e, _ := tg.events.Last(secevent.ActionPasswordChanged); e.Outcome != secevent.OutcomeSuccess || e.UserID == "" {
		t.Fatalf("password_changed event %+v", e)
	}
	out := tg.do(t, http.MethodPost, "/api/auth/sign-out", "application/json", `{}`, session)
	if out.Code != 200 {
		t.Fatalf("sign-out %d", out.Code)
	}
	if _, ok := tg.events.Last(secevent.ActionSignOut); !ok {
		t.Fatalf("no sign_out event: %v", tg.events.Actions())
	}
}
