package demoupstream

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// authBasePath is where the app mounts better-auth.
const authBasePath = "/api/auth"

// maxAuthBody bounds the body the fake reads for an auth endpoint.
const maxAuthBody = 1 << 20

// Media types better-call accepts for request bodies.
const (
	mediaJSON = "application/json"
	mediaForm = "application/x-www-form-urlencoded"
)

// authEndpoint describes one better-auth endpoint of the fake.
type authEndpoint struct {
	forms       bool    // also accepts form-urlencoded bodies
	schema      []field // body schema; nil means the body is not validated
	formCSRF    bool    // sign-in/sign-up Fetch-Metadata CSRF check
	needSession bool    // behind better-auth's sessionMiddleware
	serve       func(h *Handler, c *authCall)
}

// authCall is one request to an auth endpoint after the shared checks.
type authCall struct {
	w       http.ResponseWriter
	r       *http.Request
	body    map[string]any
	session session
	user    user
}

// authEndpoints maps "METHOD /path" (relative to /api/auth) to endpoints.
var authEndpoints = map[string]authEndpoint{
	"POST /sign-in/email": {forms: true, formCSRF: true, serve: (*Handler).signIn, schema: []field{
		req("email", kindString), req("password", kindString),
		opt("callbackURL", kindString), opt("rememberMe", kindBoolean)}},
	"POST /sign-up/email": {forms: true, formCSRF: true, serve: (*Handler).signUp, schema: []field{
		req("name", kindString), req("email", kindString), req("password", kindString),
		opt("image", kindString), opt("callbackURL", kindString), opt("rememberMe", kindBoolean)}},
	"GET /get-session": {serve: (*Handler).getSession},
	"POST /sign-out":   {serve: (*Handler).signOut},
	"POST /change-password": {needSession: true, serve: (*Handler).changePassword, schema: []field{
		req("newPassword", kindString), req("currentPassword", kindString),
		opt("revokeOtherSessions", kindBoolean)}},
	"POST /request-password-reset": {serve: (*Handler).requestPasswordReset, schema: []field{
		req("email", kindString), opt("redirectTo", kindString)}},
	"POST /reset-password": {serve: (*Handler).resetPassword, schema: []field{
		req("newPassword", kindString), opt("token", kindString)}},
	"GET /reset-password/:token": {serve: (*Handler).resetPasswordCallback},
	"POST /organization/create": {needSession: true, serve: (*Handler).orgCreate, schema: []field{
		req("name", kindString), req("slug", kindString), opt("logo", kindString),
		opt("metadata", kindObject), opt("keepCurrentActiveOrganization", kindBoolean)}},
	"POST /organization/invite-member": {needSession: true, serve: (*Handler).orgInvite, schema: []field{
		req("email", kindString), req("role", kindString), opt("organizationId", kindString),
		opt("resend", kindBoolean)}},
	"POST /organization/accept-invitation": {needSession: true, serve: (*Handler).orgAccept, schema: []field{
		req("invitationId", kindString)}},
	"POST /organization/update-member-role": {needSession: true, serve: (*Handler).orgUpdateRole, schema: []field{
		req("role", kindString), req("memberId", kindString), opt("organizationId", kindString)}},
	"POST /organization/remove-member": {needSession: true, serve: (*Handler).orgRemoveMember, schema: []field{
		req("memberIdOrEmail", kindString), opt("organizationId", kindString)}},
}

// lookupAuthEndpoint finds the endpoint for a method and a path relative
// to the mount point; better-call routes by method, so a wrong method is
// not found either.
func lookupAuthEndpoint(method, path string) (authEndpoint, bool) {
	if ep, ok := authEndpoints[method+" "+path]; ok {
		return ep, true
	}
	if token, ok := strings.CutPrefix(path, "/reset-password/"); ok && token != "" && !strings.Contains(token, "/") {
		ep, ok := authEndpoints[method+" /reset-password/:token"]
		return ep, ok
	}
	return authEndpoint{}, false
}

// serveAuth emulates better-auth's router: rate limit, routing, media
// type, body parsing, origin check, validation, endpoint middleware.
func (h *Handler) serveAuth(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, authBasePath)
	if h.limiter != nil && h.limiter.reject(w, r, path) {
		return
	}
	ep, ok := lookupAuthEndpoint(r.Method, path)
	if !ok {
		writeRecorded(w, recNotFound)
		return
	}
	c := &authCall{w: w, r: r}
	var value any
	var defined bool
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		var failed bool
		value, defined, failed = h.readAuthBody(w, r, ep)
		if failed {
			return
		}
		c.body, _ = value.(map[string]any)
	}
	if e, bad := h.checkOrigin(r); bad {
		e.write(w)
		return
	}
	if ep.schema != nil {
		if msg := validateBody(value, defined, ep.schema); msg != "" {
			errValidation.withMessage(msg).write(w)
			return
		}
	}
	if ep.formCSRF {
		if e, bad := h.checkFormCSRF(r); bad {
			e.write(w)
			return
		}
	}
	if ep.needSession {
		sess, u, ok := h.currentSession(r)
		if !ok {
			writeRecorded(w, recUnauthorized)
			return
		}
		c.session, c.user = sess, u
	}
	ep.serve(h, c)
}

// readAuthBody applies better-call's media-type rule and parses the body.
// defined is false when there is no body (or no Content-Type, which the
// Node adapter treats as no body); failed means a response was written.
func (h *Handler) readAuthBody(w http.ResponseWriter, r *http.Request, ep authEndpoint) (value any, defined, failed bool) {
	contentType := r.Header.Get("Content-Type")
	if contentType == "" {
		io.Copy(io.Discard, io.LimitReader(r.Body, maxAuthBody))
		return nil, false, false
	}
	allowed := []string{mediaJSON}
	if ep.forms {
		allowed = []string{mediaForm, mediaJSON}
	}
	media := mediaType(contentType)
	if !slices.Contains(allowed, media) {
		msg := fmt.Sprintf("Content-Type %q is not allowed. Allowed types: %s", contentType, strings.Join(allowed, ", "))
		errUnsupportedMediaType.withMessage(msg).write(w)
		return nil, false, true
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAuthBody))
	if err != nil {
		h.logf("# SERVER_ERROR: read body: %v", err)
		writeRecorded(w, recServerError)
		return nil, false, true
	}
	if len(raw) == 0 {
		return nil, false, false
	}
	if media == mediaForm {
		form, _ := url.ParseQuery(string(raw))
		body := make(map[string]any, len(form))
		for k, vs := range form {
			body[k] = vs[len(vs)-1]
		}
		return body, true, false
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		h.logf("# SERVER_ERROR: SyntaxError: %v", err)
		writeRecorded(w, recServerError)
		return nil, false, true
	}
	return value, true, false
}

// mediaType returns the lower-cased media type of a Content-Type value.
func mediaType(contentType string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// currentSession returns the live session named by a correctly signed
// session cookie.
func (h *Handler) currentSession(r *http.Request) (session, user, bool) {
	token, state := h.sessionCookie(r)
	if state != cookieSigned {
		return session{}, user{}, false
	}
	return h.store.sessionByToken(token)
}
