package authguard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/adminaction"
	"github.com/ocomms/ocomms-edge/secevent"
)

// SessionLookup names the user behind a Cookie header by asking the app
// (adminaction.SessionResolver: better-auth's get-session, cached). A cookie
// that names no session gives the zero Session and no error. Forget drops
// a cached answer.
type SessionLookup interface {
	Resolve(ctx context.Context, cookie string) (adminaction.Session, error)
	Forget(cookie string)
}

// accountKeyer is implemented by a lockout that can name an email's
// account key (*lockout.Lockout).
type accountKeyer interface {
	AccountKey(email string) string
}

// Values of the "actor" label: why an event names no user.
const (
	actorAnonymous  = "anonymous"  // the request carried no session cookie
	actorNoSession  = "no_session" // the cookie named no live session
	actorUnresolved = "unresolved" // no lookup configured, or it failed
)

// sessionSignInMethod is the sign-in method of an auth path whose answer
// may start a session other than by the password form, or "" for the
// paths that never do or that are recorded elsewhere: sign-in/email (its
// own sign_in_succeeded), change-password (a new session for the same
// user, recorded as password_changed), get-session (which re-sets the
// same token), sign-out and session switching.
func sessionSignInMethod(rel string) string {
	switch rel {
	case pathSignIn, pathSignOut, pathChangePassword, "/get-session", "/list-sessions",
		"/update-session", "/multi-session/set-active", "/multi-session/list-device-sessions":
		return ""
	case "/verify-email":
		return "email_verification"
	case pathSignUp:
		return "sign_up"
	case "/magic-link/verify":
		return "magic_link"
	case "/email-otp/verify-email":
		return "email_otp"
	case "/admin/impersonate-user":
		return "impersonation"
	case "/sign-in/social", "/sign-in/oauth2":
		return "social"
	case "/sign-in/username":
		return "username"
	case "/sign-in/email-otp":
		return "email_otp"
	case "/sign-in/anonymous":
		return "anonymous"
	case "/sign-in/phone-number":
		return "phone_number"
	}
	switch {
	case strings.HasPrefix(rel, "/two-factor/"):
		return "two_factor"
	case strings.HasPrefix(rel, "/callback/"), strings.HasPrefix(rel, "/oauth2/callback/"):
		return "social"
	case strings.HasPrefix(rel, "/passkey/"), rel == "/sign-in/passkey":
		return "passkey"
	}
	return "other"
}

// watchSessionSignIn serves an auth request whose answer may issue a new
// session cookie: every such answer is a sign-in, recorded as
// sign_in_succeeded with its method and the user the new session names.
func (g *Guard) watchSessionSignIn(w http.ResponseWriter, r *http.Request, rel, method string, next NextHandler) error {
	var issued string
	var replaces bool
	ow := &outcomeWriter{ResponseWriter: w}
	ow.decide = func(status int, h http.Header, _ []byte) {
		if setsSessionCookie(h) { // the request's cookies are parsed only then
			before := sessionCookieValue(r)
			issued, replaces = newSessionCookie(h, before, time.Now()), before != ""
		}
	}
	status, err := ow.done(g.serveAuth(ow, r, rel, next))
	if issued != "" {
		g.emitSessionSignIn(r, method, status, issued, replaces)
	}
	return err
}

// newSessionCookie returns "name=value" of the session cookie a response
// sets, when it sets one with a value other than the request's (before)
// and does not expire it at once; "" otherwise. As in a browser, the last
// Set-Cookie of a name wins (better-auth's two-factor hook sets the
// session cookie and then clears it in one answer).
func newSessionCookie(h http.Header, before string, now time.Time) string {
	lines := h.Values("Set-Cookie")
	for i, line := range lines {
		if !sessionCookie.MatchString(line) {
			continue
		}
		c, err := http.ParseSetCookie(line)
		if err != nil || c.Value == "" || c.Value == before || c.MaxAge < 0 {
			continue
		}
		if !c.Expires.IsZero() && !c.Expires.After(now) {
			continue
		}
		if laterSets(lines[i+1:], c.Name) {
			continue
		}
		return c.Name + "=" + c.Value
	}
	return ""
}

// laterSets reports whether a later Set-Cookie line sets the cookie name
// again.
func laterSets(lines []string, name string) bool {
	for _, l := range lines {
		if n, _, ok := strings.Cut(l, "="); ok && strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}

// emitSessionSignIn records a session issued other than by the password
// form. The user is whom the new session names, asked of the app once the
// answer has gone out, so the client never waits for it. replaces says the
// request carried a session already (enabling two-factor, for one, swaps
// the session): label reissued (names with "session" are dropped as secret-looking).
func (g *Guard) emitSessionSignIn(r *http.Request, method string, status int, cookie string, replaces bool) {
	g.decided(DecisionSignInSucceeded)
	e := g.withRequest(r, secevent.Event{
		Action:  secevent.ActionSignInSucceeded,
		Outcome: secevent.OutcomeSuccess,
		Status:  status,
		Labels:  map[string]string{"method": method},
	})
	if replaces {
		e.Labels["reissued"] = "true"
	}
	if g.cfg.Sessions == nil {
		e.Labels["actor"] = actorUnresolved
		g.send(e)
		return
	}
	ctx := context.WithoutCancel(r.Context())
	go func() {
		s, err := g.cfg.Sessions.Resolve(ctx, cookie)
		g.send(withSession(e, s, err, true))
	}()
}

// withSession names the user of e from a lookup, or says in the "actor"
// label why it names none.
func withSession(e secevent.Event, s adminaction.Session, err error, asked bool) secevent.Event {
	if e.Labels == nil {
		e.Labels = map[string]string{}
	}
	switch {
	case !asked:
		e.Labels["actor"] = actorAnonymous
	case err != nil:
		e.Labels["actor"] = actorUnresolved
	case !s.Valid():
		e.Labels["actor"] = actorNoSession
	default:
		e.UserID, e.UserEmail, e.UserName = s.UserID, s.Email, s.Name
	}
	return e
}

// serveSignOut names the user whose session ends before forwarding the
// sign-out (afterwards the session no longer exists), then records it: a
// sign-out of a live session is a success with that user; one without a
// session (no cookie, or a cookie that names none) is a failure with
// reason no_session, whatever the app answered.
func (g *Guard) serveSignOut(w http.ResponseWriter, r *http.Request, next NextHandler) error {
	var s adminaction.Session
	var lookupErr error
	asked := sessionCookieValue(r) != ""
	cookie := r.Header.Get("Cookie")
	if asked && g.cfg.Sessions != nil {
		// Ask the app, not the cache: the session may have ended since.
		g.cfg.Sessions.Forget(cookie)
		s, lookupErr = g.cfg.Sessions.Resolve(r.Context(), cookie)
		defer g.cfg.Sessions.Forget(cookie)
	}
	ow := &outcomeWriter{ResponseWriter: w}
	status, err := ow.done(next.ServeHTTP(ow, r))
	e := secevent.Event{Action: secevent.ActionSignOut, Status: status}
	switch {
	case !asked || (g.cfg.Sessions != nil && lookupErr == nil && !s.Valid()):
		if status >= 500 || status == http.StatusForbidden {
			return err // the app never got to it (down, or an origin check)
		}
		e.Outcome, e.Reason = secevent.OutcomeFailure, actorNoSession
		e = withSession(e, s, lookupErr, asked)
	case status == http.StatusOK:
		e.Outcome = secevent.OutcomeSuccess
		if g.cfg.Sessions == nil {
			lookupErr = errNoLookup
		}
		e = withSession(e, s, lookupErr, true)
	default:
		return err // refused (an origin check, a 5xx): nothing ended
	}
	g.emit(r, e)
	return err
}

// errNoLookup stands for "no session lookup configured".
var errNoLookup = errors.New("no session lookup configured")
