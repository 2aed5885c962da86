package demoupstream

import (
	"fmt"
	"net/http"
	"strings"
)

// Handler is the fake app; it is safe for concurrent use.
type Handler struct {
	opts    Options
	store   *store
	orgs    *orgStore
	engine  *engine
	limiter *rateLimiter
	mux     *http.ServeMux
}

// New returns the fake app as an http.Handler (a *Handler).
func New(opts Options) http.Handler {
	return NewHandler(opts)
}

// NewHandler returns the fake app with the demo user (DemoEmail and
// Options.Password) already signed up.
func NewHandler(opts Options) *Handler {
	h := &Handler{opts: opts.withDefaults(), store: newStore(), orgs: newOrgStore()}
	h.engine = newEngine(h.opts.PollHold)
	if h.opts.RateLimit {
		h.limiter = newRateLimiter()
	}
	if _, err := h.store.createUser(DemoName, DemoEmail, h.opts.Password); err != nil {
		panic("demoupstream: create demo user: " + err.Error())
	}
	h.mux = h.routes()
	return h
}

// routes builds the request multiplexer.
func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc(authBasePath+"/", h.serveAuth)
	mux.HandleFunc("/socket.io/", h.serveEngine)
	mux.HandleFunc("GET /{$}", h.serveDynamic(homePage))
	mux.HandleFunc("GET /chat", h.serveDynamic(chatPage))
	mux.HandleFunc("GET "+CSPControlPath, h.serveDynamic(controlPage))
	mux.HandleFunc("GET /login", h.servePrerendered(loginPage))
	mux.HandleFunc("GET /signup", h.servePrerendered(signupPage))
	mux.HandleFunc("GET /_next/static/", h.serveStatic)
	mux.HandleFunc("GET /api/health", h.serveHealth)
	mux.HandleFunc("POST /api/admin/export", h.serveExport)
	mux.HandleFunc("POST /api/upload/avatar", h.serveAvatar)
	mux.HandleFunc("GET /boom", h.serveBoom)
	mux.HandleFunc("GET /redirect", h.serveRedirect)
	mux.HandleFunc("/", h.serveNotFound)
	return mux
}

// ServeHTTP implements http.Handler. Everything except /socket.io/ (which
// engine.io answers before Next.js sees it) carries X-Powered-By: Next.js.
// The echo endpoint is matched before the multiplexer, so that paths with
// "//" or ".." reach it unredirected.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/socket.io/") {
		w.Header().Set("X-Powered-By", "Next.js")
	}
	if r.URL.Path == EchoPath || strings.HasPrefix(r.URL.Path, EchoPath+"/") {
		h.serveEcho(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// LastResetToken returns the last password-reset token issued for email
// through POST /api/auth/request-password-reset ("" when none), standing in
// for the reset mail.
func (h *Handler) LastResetToken(email string) string {
	return h.store.lastResetToken(email)
}

// AddUser signs up a user directly (no HTTP, no session); it fails when the
// email is taken.
func (h *Handler) AddUser(name, email, password string) error {
	if _, err := h.store.createUser(name, email, password); err != nil {
		return fmt.Errorf("add user %q: %w", email, err)
	}
	return nil
}

// NewSessionCookie opens a session for an existing user, as a sign-in would,
// and returns its signed session cookie.
func (h *Handler) NewSessionCookie(email string) (*http.Cookie, error) {
	u, ok := h.store.userByEmail(email)
	if !ok {
		return nil, fmt.Errorf("new session for %q: no such user", email)
	}
	sess := h.store.createSession(u.ID, "", "", false)
	return &http.Cookie{Name: h.cookieName(sessionTokenCookie), Value: h.signedValue(sess.Token)}, nil
}

// SessionCookieName returns the session cookie name in use
// (better-auth.session_token, with __Secure- under Options.SecureCookies).
func (h *Handler) SessionCookieName() string {
	return h.cookieName(sessionTokenCookie)
}

// Close ends every socket.io session, so held long-polls answer at once
// (a noop); use it with http.Server.RegisterOnShutdown. The handler keeps
// serving new requests.
func (h *Handler) Close() {
	h.engine.closeAll()
}

// logf writes a server-side log line when Options.Logger is set.
func (h *Handler) logf(format string, args ...any) {
	if h.opts.Logger != nil {
		h.opts.Logger.Printf(format, args...)
	}
}
