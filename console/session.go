package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/ocomms/ocomms-edge/internal/getsession"
)

// SessionConfig configures a SessionAuthorizer.
type SessionConfig struct {
	// URL is the app's get-session endpoint, e.g.
	// http://app:3000/api/auth/get-session. Required.
	URL string
	// AdminRoles are the better-auth roles that may use the console
	// (user.role, comma-separated when a user has several). Default:
	// ["admin"].
	AdminRoles []string
	// TTL is how long an answer is remembered per cookie. Default: 10s.
	TTL time.Duration
	// Timeout bounds one lookup. Default: 3s.
	Timeout time.Duration
	// Client makes the lookups. Default: one that follows no redirects.
	Client *http.Client
}

// SessionAuthorizer admits a request whose cookies name a better-auth
// session whose user has an admin role, asking the app's get-session
// endpoint with the request's Cookie header only. Answers are cached for
// a short TTL under a keyed hash of the cookie; the cookie itself is
// neither kept nor logged.
type SessionAuthorizer struct {
	cfg   SessionConfig
	keys  *getsession.CookieKeys
	mu    sync.Mutex
	cache map[string]sessionEntry
	now   func() time.Time
}

type sessionEntry struct {
	op      Operator
	err     error
	expires time.Time
}

const maxSessionEntries = 1024

// NewSessionAuthorizer checks cfg and returns the authorizer.
func NewSessionAuthorizer(cfg SessionConfig) (*SessionAuthorizer, error) {
	if getsession.CheckURL(cfg.URL) != nil {
		return nil, fmt.Errorf("console: session_url %q: want the app's http(s) get-session URL", cfg.URL)
	}
	if len(cfg.AdminRoles) == 0 {
		cfg.AdminRoles = []string{"admin"}
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = getsession.NewClient()
	}
	a := &SessionAuthorizer{cfg: cfg, cache: map[string]sessionEntry{}, now: time.Now}
	keys, err := getsession.NewCookieKeys()
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	a.keys = keys
	return a, nil
}

var errNoSession = errors.New("no signed-in session")

// Authorize implements Authorizer.
func (a *SessionAuthorizer) Authorize(r *http.Request) (Operator, error) {
	cookie := r.Header.Get("Cookie")
	if cookie == "" {
		return Operator{}, errNoSession
	}
	k := a.keys.Of(cookie)
	now := a.now()
	a.mu.Lock()
	e, ok := a.cache[k]
	a.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.op, e.err
	}
	op, err := a.lookup(r.Context(), cookie)
	if err != nil && !errors.Is(err, errNoSession) && !errors.Is(err, ErrNotAdmin) {
		return Operator{}, err // a failed lookup is not remembered
	}
	a.mu.Lock()
	if len(a.cache) >= maxSessionEntries {
		for ck, ce := range a.cache {
			if !now.Before(ce.expires) || len(a.cache) >= maxSessionEntries {
				delete(a.cache, ck)
			}
		}
	}
	a.cache[k] = sessionEntry{op: op, err: err, expires: now.Add(a.cfg.TTL)}
	a.mu.Unlock()
	return op, err
}

// getSessionUser is the part of better-auth's get-session answer read
// here; the session (and its token) is not decoded.
type getSessionUser struct {
	User *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
	} `json:"user"`
}

func (a *SessionAuthorizer) lookup(ctx context.Context, cookie string) (Operator, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.Timeout)
	defer cancel()
	body, err := getsession.Fetch(ctx, a.cfg.Client, a.cfg.URL, cookie)
	if err != nil {
		return Operator{}, fmt.Errorf("console: %w", err)
	}
	var s getSessionUser
	if err := json.Unmarshal(body, &s); err != nil {
		return Operator{}, fmt.Errorf("console: get-session %s: %w", a.cfg.URL, err)
	}
	if s.User == nil || s.User.ID == "" {
		return Operator{}, errNoSession
	}
	op := Operator{UserID: s.User.ID, Email: normEmail(s.User.Email)}
	if !hasRole(s.User.Role, a.cfg.AdminRoles) {
		return op, ErrNotAdmin
	}
	return op, nil
}

// hasRole reports whether a better-auth role value (comma-separated)
// names one of want.
func hasRole(role string, want []string) bool {
	for _, r := range strings.Split(role, ",") {
		r = strings.TrimSpace(r)
		for _, w := range want {
			if r != "" && r == w {
				return true
			}
		}
	}
	return false
}

// LoopbackAuthorizer admits only connections from a loopback address (the
// TCP peer, never a header): the console on a listener bound to
// 127.0.0.1 and reached through an SSH tunnel.
type LoopbackAuthorizer struct{}

// Authorize implements Authorizer.
func (LoopbackAuthorizer) Authorize(r *http.Request) (Operator, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Unmap().IsLoopback() {
		return Operator{}, errors.New("the local console answers loopback connections only")
	}
	return Operator{Local: true}, nil
}
