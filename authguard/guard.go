package authguard

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/twofactor"
	"github.com/ocomms/ocomms-edge/internal/plainnext"
	"github.com/ocomms/ocomms-edge/internal/routepath"
	"github.com/ocomms/ocomms-edge/reqbody"
	"github.com/ocomms/ocomms-edge/secevent"
)

// DefaultPrefix is where better-auth is mounted in OComms.
const DefaultPrefix = "/api/auth"

// DefaultMaxBody is the largest auth request body the guard reads.
const DefaultMaxBody = reqbody.DefaultMaxBody

// DefaultUnlockURL is the page a locked user is sent to: OComms's
// forgot-password page, whose reset unlocks the account.
const DefaultUnlockURL = "/forgot-password"

// NextHandler is the rest of the handler chain. Caddy's caddyhttp.Handler
// satisfies it as it is, so the adapter hands its next handler over
// without wrapping (and without allocating).
type NextHandler interface {
	ServeHTTP(http.ResponseWriter, *http.Request) error
}

// GuardConfig configures a Guard. Only ClientIP is required.
type GuardConfig struct {
	// Prefix is better-auth's mount point. Default: /api/auth.
	Prefix string
	// MaxBody caps the auth request bodies the guard reads; larger ones get
	// 413 JSON. Default: 64 KiB.
	MaxBody int64
	// BodyDeadline bounds the time a client may take to send a whole auth
	// body; a slower one gets 408 JSON and its connection is closed.
	// Default: 10 s.
	BodyDeadline time.Duration
	// ClientIP returns the trusted client address (Caddy's client_ip),
	// never one read from a request header.
	ClientIP func(*http.Request) netip.Addr
	// Passwords checks new passwords on sign-up, change-password and
	// reset-password. Nil: no password policy.
	Passwords PasswordChecker
	// Lockout is the account lockout (a *lockout.Lockout). Nil: no lockout.
	Lockout lockout.LockoutEngine
	// TwoFactor guards better-auth's two-factor endpoints against code
	// guessing (guard_twofactor.go). Nil: they pass unguarded.
	TwoFactor *twofactor.Limiter
	// Events receives one audit event per decision. Default: discarded.
	Events secevent.Emitter
	// Logger gets one line per decision; never a password, cookie or
	// token. Default: no logging.
	Logger *zap.Logger
	// FailOpen forwards sign-ins unguarded while the lockout store fails.
	// Default false: they get 503 JSON (fail closed).
	FailOpen bool
	// UnlockURL is sent in the lock answer as unlockUrl. Default:
	// /forgot-password in UnlockModeReset; never sent in UnlockModeAdmin.
	UnlockURL string
	// UnlockMode is UnlockModeReset (the app has a self-service reset) or
	// UnlockModeAdmin (it has none). Default: UnlockModeReset.
	UnlockMode string
	// LockMessage and HardLockMessage are the lock answers' messages;
	// {wait} and {minutes} in LockMessage name the wait. Default: the
	// mode's DefaultLockMessage… and DefaultHardLockMessage….
	LockMessage, HardLockMessage string
	// Sessions names the user behind a session cookie (the app's
	// get-session), for sign-out and session sign-in events. Nil: those
	// events carry no user.
	Sessions SessionLookup
	// OnDecision, when set, is called once per guarded decision with one
	// of the Decision values, for metrics (bounded labels). It must not
	// block.
	OnDecision func(Decision)
	// OnBodyRefused, when set, is called with the reqbody Reason of every
	// request the guard refuses to forward because of its body, for
	// metrics. It must not block.
	OnBodyRefused func(reason string)
}

// Guard is the authentication guard middleware: better-auth requests get
// their bodies read exactly as better-call reads them, new passwords are
// checked, sign-ins go through the lockout engine, and the app's answers
// are read to count failures and successes. Every other request passes
// untouched, with no body read. A Guard is safe for concurrent use.
type Guard struct {
	cfg    GuardConfig
	events secevent.Emitter
	log    *zap.Logger
	msgs   lockMessages
	keyer  accountKeyer // nil without a lockout that names account keys
}

// NewGuard validates cfg and fills its defaults.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	if cfg.ClientIP == nil {
		return nil, errors.New("auth guard: ClientIP is required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/")
	if !strings.HasPrefix(cfg.Prefix, "/") || path.Clean(cfg.Prefix) != cfg.Prefix {
		return nil, errors.New("auth guard: prefix " + cfg.Prefix + " must be a clean absolute path such as /api/auth")
	}
	if cfg.MaxBody < 0 {
		return nil, errors.New("auth guard: max body must not be negative")
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.BodyDeadline < 0 {
		return nil, errors.New("auth guard: body deadline must not be negative")
	}
	if cfg.BodyDeadline == 0 {
		cfg.BodyDeadline = reqbody.DefaultDeadline
	}
	msgs, err := newLockMessages(&cfg)
	if err != nil {
		return nil, fmt.Errorf("auth guard: %w", err)
	}
	g := &Guard{cfg: cfg, events: cfg.Events, log: cfg.Logger, msgs: msgs}
	g.keyer, _ = cfg.Lockout.(accountKeyer)
	if g.events == nil {
		g.events = secevent.Discard
	}
	if g.log == nil {
		g.log = zap.NewNop()
	}
	return g, nil
}

// Config returns the configuration in force, defaults filled.
func (g *Guard) Config() GuardConfig { return g.cfg }

// Handler adapts the guard to plain net/http.
func (g *Guard) Handler(next http.Handler) http.Handler {
	n := plainnext.Next{H: next}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = g.Serve(w, r, n)
	})
}

// Serve handles one request: requests outside the prefix go straight to
// next; auth requests are guarded. It returns next's error.
func (g *Guard) Serve(w http.ResponseWriter, r *http.Request, next NextHandler) error {
	rel, ok := g.relPath(r.URL.Path)
	if !ok {
		return next.ServeHTTP(w, r)
	}
	if method := sessionSignInMethod(rel); method != "" {
		return g.watchSessionSignIn(w, r, rel, method, next)
	}
	return g.serveAuth(w, r, rel, next)
}

// relPath returns the path below the prefix, cleaned and lower-cased for
// matching (so /sign-in/email/ or /Sign-In//email cannot slip past a
// check the app's router might still route), and whether the request is
// under the prefix. The common case (no prefix, nothing to clean) does not
// allocate.
func (g *Guard) relPath(p string) (string, bool) {
	if !routepath.Under(p, g.cfg.Prefix) {
		// Only a path that cleans into the prefix can still be under it.
		if !needsClean(p) {
			return "", false
		}
		p = path.Clean(p)
		if !routepath.Under(p, g.cfg.Prefix) {
			return "", false
		}
	} else if needsClean(p) {
		p = path.Clean(p)
		if !routepath.Under(p, g.cfg.Prefix) {
			return "", false
		}
	}
	rel := strings.TrimRight(p[len(g.cfg.Prefix):], "/")
	return strings.ToLower(rel), true
}

// needsClean reports whether p has "//" or a "/." segment start.
func needsClean(p string) bool {
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '/' && (p[i+1] == '/' || p[i+1] == '.') {
			return true
		}
	}
	return false
}

// serveAuth guards one request under the prefix.
func (g *Guard) serveAuth(w http.ResponseWriter, r *http.Request, rel string, next NextHandler) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return next.ServeHTTP(w, r)
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		// "Post", "post", "PROPFIND"…: better-auth routes none of them,
		// and the guard's rules are written for the methods it routes.
		g.refuseBody(w, r, reqbody.Refuse(http.StatusMethodNotAllowed, CodeMethodNotAllowed, reqbody.ReasonMethod,
			"The method "+clipMethod(r.Method)+" is not allowed here."))
		return nil
	}
	body, refusal := reqbody.Read(w, r, reqbody.Options{
		MaxBody:   g.cfg.MaxBody,
		AllowForm: r.Method == http.MethodPost && acceptsForm(rel),
		Deadline:  g.cfg.BodyDeadline,
	})
	if refusal == nil && r.Method == http.MethodPost {
		refusal = identity(r, rel, body)
	}
	if refusal != nil {
		g.refuseBody(w, r, refusal)
		return nil
	}
	if r.Method != http.MethodPost {
		return next.ServeHTTP(w, r)
	}
	switch rel {
	case pathSignIn:
		return g.serveSignIn(w, r, body, next)
	case pathSignUp:
		return g.servePasswordSet(w, r, body, next, "password", passwordSignUp)
	case pathChangePassword:
		return g.servePasswordSet(w, r, body, next, "newPassword", passwordChange)
	case pathResetPassword:
		return g.servePasswordSet(w, r, body, next, "newPassword", passwordReset)
	case pathSignOut:
		return g.serveSignOut(w, r, next)
	case pathVerifyTOTP, pathVerifyOTP, pathVerifyBackupCode, pathSendOTP:
		return g.serveTwoFactor(w, r, rel, next)
	}
	return next.ServeHTTP(w, r)
}

// clipMethod bounds a method for an error message.
func clipMethod(m string) string {
	if len(m) > 16 {
		return m[:16]
	}
	return m
}

// clientIP returns the trusted client address as text for events.
func (g *Guard) clientIP(r *http.Request) netip.Addr {
	return g.cfg.ClientIP(r)
}
