package authguard

import (
	"encoding/json"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
)

// Codes of better-auth 1.4 answers the guard reads.
const (
	CodeInvalidCredentials = "INVALID_EMAIL_OR_PASSWORD"
	CodeInvalidPassword    = "INVALID_PASSWORD"
	CodeEmailNotVerified   = "EMAIL_NOT_VERIFIED"
	CodeBannedUser         = "BANNED_USER"
)

// sessionCookie matches a Set-Cookie header that sets better-auth's session
// cookie ("<prefix>.session_token", with __Secure- when the app's base URL
// is https) to a non-empty value.
var sessionCookie = regexp.MustCompile(`^(__Secure-)?[^=;\s]+\.session_token=[^;\s]`)

// setsSessionCookie reports whether a response header sets the session
// cookie.
func setsSessionCookie(h http.Header) bool {
	for _, c := range h.Values("Set-Cookie") {
		if sessionCookie.MatchString(c) {
			return true
		}
	}
	return false
}

// AnswerBody is what the guard reads from a small JSON answer of the app.
type AnswerBody struct {
	Code              string `json:"code"`
	TwoFactorRedirect bool   `json:"twoFactorRedirect"`
	User              struct {
		ID string `json:"id"`
	} `json:"user"`
}

// parseAnswer reads the fields the guard uses from a JSON body; a body
// that is not a JSON object (or was cut short) gives the zero value.
func parseAnswer(body []byte) AnswerBody {
	var a AnswerBody
	if len(body) == 0 {
		return a
	}
	_ = json.Unmarshal(body, &a)
	return a
}

// ClassifySignIn reads better-auth's answer to POST /sign-in/email:
//
//   - failure: 401 INVALID_EMAIL_OR_PASSWORD (wrong password and unknown
//     email alike);
//   - success (the password was right): 200 setting the session cookie,
//     200 {"twoFactorRedirect":true}, 403 EMAIL_NOT_VERIFIED, 403
//     BANNED_USER;
//   - anything else says nothing about the password and is not counted
//     (400 INVALID_EMAIL or VALIDATION_ERROR, 403 origin checks, 415, 422,
//     429, 5xx).
//
// body is the start of the response body (JSON answers are small); it may
// be nil when the status alone decides.
func ClassifySignIn(status int, h http.Header, body []byte) (lockout.AttemptOutcome, AnswerBody) {
	a := parseAnswer(body)
	switch status {
	case http.StatusUnauthorized:
		if a.Code == CodeInvalidCredentials {
			return lockout.OutcomeFailure, a
		}
	case http.StatusOK:
		if setsSessionCookie(h) || a.TwoFactorRedirect {
			return lockout.OutcomeSuccess, a
		}
	case http.StatusForbidden:
		if a.Code == CodeEmailNotVerified || a.Code == CodeBannedUser {
			return lockout.OutcomeSuccess, a
		}
	}
	return lockout.OutcomeNotCounted, a
}

// ClassifyChangePassword reads the answer to POST /change-password: 400
// INVALID_PASSWORD is a wrong current password (a failure), 200 a right
// one; the rest is not counted.
func ClassifyChangePassword(status int, body []byte) (lockout.AttemptOutcome, AnswerBody) {
	a := parseAnswer(body)
	switch {
	case status == http.StatusBadRequest && a.Code == CodeInvalidPassword:
		return lockout.OutcomeFailure, a
	case status == http.StatusOK:
		return lockout.OutcomeSuccess, a
	}
	return lockout.OutcomeNotCounted, a
}

// answerBodyLimit is the most of a response body the guard holds back to
// read its code: better-auth's error answers are well under 1 KiB.
const answerBodyLimit = 4 << 10

// needsBody reports whether classifying a sign-in or change-password
// answer with this status needs its body: error codes live there, and so
// does twoFactorRedirect on a 200 without the session cookie. Only JSON
// answers small enough to hold are read.
func needsBody(status int, h http.Header, signIn bool) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusBadRequest:
	case http.StatusOK:
		if !signIn || setsSessionCookie(h) {
			return false
		}
	default:
		return false
	}
	return isJSON(h.Get("Content-Type"))
}

// isJSON reports whether a Content-Type names JSON.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
