package demoupstream

import (
	"net/http"
	"strconv"

	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

// Recorded responses whose status, headers and body the fake replays (or
// whose status and headers it reuses around a generated body).
var (
	recNotFound       = fixtures.MustLoad("sign-in-wrong-method").Response
	recServerError    = fixtures.MustLoad("sign-in-malformed-json").Response
	recUnauthorized   = fixtures.MustLoad("change-password-without-session").Response
	recNoSession      = fixtures.MustLoad("get-session-without-cookie").Response
	recSession        = fixtures.MustLoad("get-session-with-cookie").Response
	recSignIn         = fixtures.MustLoad("sign-in-success").Response
	recSignUp         = fixtures.MustLoad("sign-up-success").Response
	recSignedOut      = fixtures.MustLoad("sign-out").Response
	recPasswordChange = fixtures.MustLoad("change-password-success").Response
	recResetRequested = fixtures.MustLoad("request-password-reset").Response
	recResetDone      = fixtures.MustLoad("reset-password-success").Response
	recResetRedirect  = fixtures.MustLoad("reset-password-callback-redirect").Response
	recRateLimited    = fixtures.MustLoad("rate-limit-429-sign-in").Response
	recOrgCreated     = fixtures.MustLoad("organization-create").Response
	recOrgInvited     = fixtures.MustLoad("organization-invite-member").Response
	recOrgAccepted    = fixtures.MustLoad("organization-accept-invitation").Response
	recOrgRoleUpdated = fixtures.MustLoad("organization-update-member-role").Response
	recOrgRemoved     = fixtures.MustLoad("organization-remove-member").Response
	recExportDenied   = fixtures.MustLoad("app-admin-export-without-session").Response
	recExport         = fixtures.MustLoad("app-admin-export-with-session").Response
	recEngineOpen     = fixtures.MustLoad("app-socketio-polling-handshake").Response
)

// writeRecorded writes a recorded response: its headers (minus set-cookie,
// which callers generate, and any names in skip), status and exact body.
func writeRecorded(w http.ResponseWriter, rec fixtures.Response, skip ...string) {
	copyRecordedHeaders(w, rec, skip...)
	body := rec.BodyBytes()
	if len(body) > 0 {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(rec.Status)
	if len(body) > 0 {
		w.Write(body)
	}
}

// writeRecordedJSON writes a generated JSON body with a recorded response's
// status and headers (minus set-cookie).
func writeRecordedJSON(w http.ResponseWriter, rec fixtures.Response, v any) {
	copyRecordedHeaders(w, rec)
	writeBody(w, rec.Status, marshal(v))
}

// copyRecordedHeaders sets every recorded header except set-cookie and skip.
func copyRecordedHeaders(w http.ResponseWriter, rec fixtures.Response, skip ...string) {
	h := w.Header()
outer:
	for name, values := range rec.Headers {
		if name == "set-cookie" {
			continue
		}
		for _, s := range skip {
			if http.CanonicalHeaderKey(s) == http.CanonicalHeaderKey(name) {
				continue outer
			}
		}
		h.Del(name)
		for _, v := range values {
			h.Add(name, v)
		}
	}
}

// writeBody writes status and body with an explicit Content-Length.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
