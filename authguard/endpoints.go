package authguard

import (
	"net/http"
	"strings"

	"github.com/ocomms/ocomms-edge/reqbody"
)

// Endpoints the guard treats specially, relative to the prefix.
const (
	pathSignIn               = "/sign-in/email"
	pathSignUp               = "/sign-up/email"
	pathSignOut              = "/sign-out"
	pathChangePassword       = "/change-password"
	pathResetPassword        = "/reset-password"
	pathRequestPasswordReset = "/request-password-reset"
	pathForgetPassword       = "/forget-password" // better-auth's older name of the same endpoint
	pathCallbackPrefix       = "/callback/"
)

// acceptsForm reports whether better-auth accepts a form body at rel:
// sign-in, sign-up and the OAuth callbacks (form_post). Everywhere else
// only JSON is read.
func acceptsForm(rel string) bool {
	return rel == pathSignIn || rel == pathSignUp || strings.HasPrefix(rel, pathCallbackPrefix)
}

// identity checks that a guarded POST carries what the guard keys on, so
// that nothing is forwarded uncounted: the email of a sign-in, sign-up or
// reset request; the new password of a sign-up, change or reset (the
// policy must see it); the session of a change-password; the token of a
// reset. It returns the refusal to answer with, or nil.
func identity(r *http.Request, rel string, body *reqbody.Body) *reqbody.Refusal {
	var need []string
	switch rel {
	case pathSignIn, pathRequestPasswordReset, pathForgetPassword:
		need = []string{"email"}
	case pathSignUp:
		need = []string{"email", "password"}
	case pathChangePassword:
		switch v, n := sessionCookies(r); {
		case n > 1:
			// Which one the app reads depends on its cookie configuration;
			// the session lockout must count the one it uses.
			return reqbody.Refuse(http.StatusBadRequest, reqbody.CodeAmbiguousBody, reqbody.ReasonAmbiguous,
				"The request carries more than one session cookie.")
		case v == "":
			return reqbody.Refuse(http.StatusBadRequest, reqbody.CodeMissingField, reqbody.ReasonMissingField,
				"Changing a password needs a signed-in session.")
		}
		need = []string{"newPassword"}
	case pathResetPassword:
		if v, ok := body.Field("token"); (!ok || v == "") && r.URL.Query().Get("token") == "" {
			return reqbody.MissingField("token")
		}
		need = []string{"newPassword"}
	}
	for _, name := range need {
		if _, ref := body.Require(name); ref != nil {
			return ref
		}
	}
	return nil
}
