package authguard

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

func TestClassifySignIn(t *testing.T) {
	jsonH := http.Header{"Content-Type": {"application/json"}}
	session := http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"better-auth.session_token=abc.def; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"}}
	secure := http.Header{"Set-Cookie": {"__Secure-better-auth.session_token=abc.def; Path=/; Secure"}}
	cleared := http.Header{"Set-Cookie": {"better-auth.session_token=; Max-Age=0; Path=/"}}
	for _, tc := range []struct {
		name   string
		status int
		h      http.Header
		body   string
		want   lockout.AttemptOutcome
	}{
		{"wrong password or unknown email", 401, jsonH, `{"code":"INVALID_EMAIL_OR_PASSWORD","message":"Invalid email or password"}`, lockout.OutcomeFailure},
		{"bare 401", 401, jsonH, ``, lockout.OutcomeNotCounted},
		{"session cookie", 200, session, `{"redirect":false}`, lockout.OutcomeSuccess},
		{"secure session cookie", 200, secure, ``, lockout.OutcomeSuccess},
		{"two factor", 200, jsonH, `{"twoFactorRedirect":true}`, lockout.OutcomeSuccess},
		{"200 without a session", 200, cleared, `{}`, lockout.OutcomeNotCounted},
		{"email not verified", 403, jsonH, `{"code":"EMAIL_NOT_VERIFIED","message":"Email not verified"}`, lockout.OutcomeSuccess},
		{"banned", 403, jsonH, `{"code":"BANNED_USER","message":"You have been banned from this application"}`, lockout.OutcomeSuccess},
		{"invalid origin", 403, jsonH, `{"code":"INVALID_ORIGIN","message":"Invalid origin"}`, lockout.OutcomeNotCounted},
		{"invalid email", 400, jsonH, `{"code":"INVALID_EMAIL","message":"Invalid email"}`, lockout.OutcomeNotCounted},
		{"validation", 400, jsonH, `{"code":"VALIDATION_ERROR","message":"[body.password] …"}`, lockout.OutcomeNotCounted},
		{"415", 415, jsonH, `{"code":"UNSUPPORTED_MEDIA_TYPE"}`, lockout.OutcomeNotCounted},
		{"422", 422, jsonH, `{"code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}`, lockout.OutcomeNotCounted},
		{"429", 429, http.Header{"X-Retry-After": {"10"}}, `{"message":"Too many requests. Please try again later."}`, lockout.OutcomeNotCounted},
		{"500", 500, http.Header{}, ``, lockout.OutcomeNotCounted},
		{"code in a 500", 500, jsonH, `{"code":"INVALID_EMAIL_OR_PASSWORD"}`, lockout.OutcomeNotCounted},
	} {
		if got, _ := ClassifySignIn(tc.status, tc.h, []byte(tc.body)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestClassifyFixtures classifies every recorded sign-in and
// change-password answer of better-auth 1.4.
func TestClassifyFixtures(t *testing.T) {
	cases, err := fixtures.All()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]lockout.AttemptOutcome{
		"sign-in-success": lockout.OutcomeSuccess, "sign-in-form-urlencoded": lockout.OutcomeSuccess,
		"sign-in-untrusted-origin-no-fetch-metadata": lockout.OutcomeSuccess, "sign-in-remember-me-false": lockout.OutcomeSuccess,
		"sign-in-success-https-baseurl": lockout.OutcomeSuccess,
		"sign-in-wrong-password":        lockout.OutcomeFailure, "sign-in-unknown-email": lockout.OutcomeFailure,
		"rate-limit-rotated-xff-not-limited": lockout.OutcomeFailure, "rate-limit-no-client-ip-not-limited": lockout.OutcomeFailure,
		"change-password-wrong-current": lockout.OutcomeFailure, "change-password-success": lockout.OutcomeSuccess,
	}
	n := 0
	for _, c := range cases {
		var got lockout.AttemptOutcome
		switch {
		case c.Request.Method == "POST" && strings.HasSuffix(c.Request.Path, "/sign-in/email"):
			got, _ = ClassifySignIn(c.Response.Status, c.Response.Header(), c.Response.BodyBytes())
		case c.Request.Method == "POST" && strings.HasSuffix(c.Request.Path, "/change-password"):
			got, _ = ClassifyChangePassword(c.Response.Status, c.Response.BodyBytes())
		default:
			continue
		}
		n++
		if got != want[c.Name] {
			t.Errorf("%s (%d): %v, want %v", c.Name, c.Response.Status, got, want[c.Name])
		}
	}
	if n < 20 {
		t.Fatalf("only %d fixtures classified", n)
	}
}

// hijackRecorder is a recorder that can be hijacked and counts flushes.
type hijackRecorder struct {
	*httptest.ResponseRecorder
	hijacked bool
	flushes  int
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return nil, nil, errors.New("test hijack")
}

func (h *hijackRecorder) Flush() { h.flushes++; h.ResponseRecorder.Flush() }

func TestOutcomeWriterStreamsAndHolds(t *testing.T) {
	rec := &hijackRecorder{ResponseRecorder: httptest.NewRecorder()}
	var decided []byte
	var decidedAt int
	w := &outcomeWriter{ResponseWriter: rec, capture: true,
		needBody: func(status int, h http.Header) bool { return needsBody(status, h, true) },
		decide: func(status int, h http.Header, body []byte) {
			decided, decidedAt = body, status
			h.Set("X-Decided", "yes")
		}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(401)
	w.Write([]byte(`{"code":"INVALID_EMAIL`))
	w.Flush()
	if rec.flushes != 0 || rec.Body.Len() != 0 {
		t.Fatal("a held answer was flushed before its code was read")
	}
	w.Write([]byte(`_OR_PASSWORD"}`))
	w.finish()
	if decidedAt != 401 || string(decided) != `{"code":"INVALID_EMAIL_OR_PASSWORD"}` || rec.Body.String() != string(decided) || rec.Header().Get("X-Decided") != "yes" || rec.Code != 401 {
		t.Fatalf("held: decided %d %q, wrote %d %q %v", decidedAt, decided, rec.Code, rec.Body, rec.Header())
	}
	if _, _, err := http.NewResponseController(w).Hijack(); err == nil || !rec.hijacked {
		t.Fatal("Hijack did not reach the underlying writer")
	}

	// A big 200 with the session cookie streams: decided at once, flushes
	// pass, only the first answerBodyLimit bytes are kept.
	rec = &hijackRecorder{ResponseRecorder: httptest.NewRecorder()}
	decidedAt = 0
	w = &outcomeWriter{ResponseWriter: rec, capture: true,
		needBody: func(status int, h http.Header) bool { return needsBody(status, h, true) },
		decide:   func(status int, h http.Header, body []byte) { decidedAt = status }}
	w.Header().Set("Set-Cookie", "better-auth.session_token=a.b")
	w.Write([]byte("first"))
	if decidedAt != 200 || rec.Body.String() != "first" {
		t.Fatalf("not streamed: %d %q", decidedAt, rec.Body)
	}
	w.Flush()
	big := strings.Repeat("y", 3*answerBodyLimit)
	n, err := w.ReadFrom(strings.NewReader(big))
	if err != nil || n != int64(len(big)) || rec.flushes != 1 || len(w.buf) != answerBodyLimit || rec.Body.Len() != len(big)+5 {
		t.Fatalf("streaming: n %d err %v flushes %d kept %d", n, err, rec.flushes, len(w.buf))
	}

	// A held body that grows past the limit is released as it goes.
	rec = &hijackRecorder{ResponseRecorder: httptest.NewRecorder()}
	w = &outcomeWriter{ResponseWriter: rec,
		needBody: func(status int, h http.Header) bool { return true },
		decide:   func(status int, h http.Header, body []byte) { decided = body }}
	w.WriteHeader(403)
	w.Write([]byte(big))
	if rec.Body.Len() != len(big) || len(decided) != len(big) {
		t.Fatalf("over-limit hold not released: wrote %d", rec.Body.Len())
	}
}
