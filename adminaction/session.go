package adminaction

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/ocomms/ocomms-edge/internal/getsession"
	"github.com/ocomms/ocomms-edge/internal/jscase"
)

// Session is the acting user behind a session cookie, as the app's own
// get-session endpoint names it. It holds no token.
type Session struct {
	// UserID is better-auth's user.id.
	UserID string
	// Email is user.email, lower-cased.
	Email string
	// Name is user.name.
	Name string
}

// Valid reports whether the cookie named a live session.
func (s Session) Valid() bool { return s.UserID != "" }

// SessionConfig configures a SessionResolver.
type SessionConfig struct {
	// URL is the app's get-session endpoint, e.g.
	// http://app:3000/api/auth/get-session. Required.
	URL string
	// TTL is how long a resolved cookie (or a cookie that named no
	// session) is remembered. Default: DefaultSessionTTL.
	TTL time.Duration
	// MaxEntries bounds the cache; the oldest entries go first.
	// Default: DefaultSessionCacheSize.
	MaxEntries int
	// Timeout bounds one lookup. Default: 2s.
	Timeout time.Duration
	// Client makes the lookups. Default: a client that follows no
	// redirects.
	Client *http.Client
	// Logger receives lookup failures (never the cookie). Default: nop.
	Logger *zap.Logger
}

// DefaultSessionTTL is SessionConfig.TTL's default: short, so that a
// sign-out or a role change shows within half a minute.
const DefaultSessionTTL = 30 * time.Second

// DefaultSessionCacheSize is SessionConfig.MaxEntries's default.
const DefaultSessionCacheSize = 10000

// SessionResolver turns a Cookie header into the acting user by asking the
// app's GET /api/auth/get-session, forwarding only the Cookie header. Answers
// are cached for a short TTL under a keyed hash of the cookie (the cookie
// itself is neither stored nor logged), concurrent lookups of one cookie
// share one request, and the cache is bounded.
type SessionResolver struct {
	cfg    SessionConfig
	keys   *getsession.CookieKeys // the cache's keys; random per process
	cache  *sessionCache
	group  singleflight.Group
	now    func() time.Time
	logger *zap.Logger
}

// NewSessionResolver checks cfg and returns a resolver. It opens no
// connection.
func NewSessionResolver(cfg SessionConfig) (*SessionResolver, error) {
	if cfg.URL == "" {
		return nil, errors.New("session resolver: the get-session URL is required")
	}
	if err := getsession.CheckURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("session resolver: %w", err)
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultSessionTTL
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultSessionCacheSize
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = getsession.NewClient()
	}
	logger := cfg.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	s := &SessionResolver{cfg: cfg, cache: newSessionCache(cfg.MaxEntries), now: time.Now, logger: logger}
	keys, err := getsession.NewCookieKeys()
	if err != nil {
		return nil, fmt.Errorf("session resolver: %w", err)
	}
	s.keys = keys
	return s, nil
}

// Resolve returns the session the Cookie header names. An empty cookie is
// no session without a lookup. A failed lookup returns an error (and is
// not cached); a cookie that names no session returns the zero Session.
func (s *SessionResolver) Resolve(ctx context.Context, cookie string) (Session, error) {
	if cookie == "" {
		return Session{}, nil
	}
	k := s.keys.Of(cookie)
	now := s.now()
	if v, ok := s.cache.get(k, now); ok {
		return v, nil
	}
	v, err, _ := s.group.Do(k, func() (any, error) {
		if v, ok := s.cache.get(k, s.now()); ok {
			return v, nil
		}
		sess, err := s.lookup(context.WithoutCancel(ctx), cookie)
		if err != nil {
			return Session{}, err
		}
		s.cache.put(k, sess, s.now().Add(s.cfg.TTL))
		return sess, nil
	})
	if err != nil {
		if c := s.logger.Check(zap.WarnLevel, "session lookup failed"); c != nil {
			c.Write(zap.Error(err))
		}
		return Session{}, err
	}
	return v.(Session), nil
}

// Forget drops what the cache holds for a Cookie header, so that the
// next Resolve asks the app: before and after a sign-out, whose session
// ends while the cache would still name it.
func (s *SessionResolver) Forget(cookie string) {
	if cookie != "" {
		s.cache.remove(s.keys.Of(cookie))
	}
}

// CacheLen is how many cookies the cache holds now.
func (s *SessionResolver) CacheLen() int { return s.cache.len() }

// getSessionBody is the part of better-auth's get-session answer the
// resolver reads; session.token is deliberately not decoded.
type getSessionBody struct {
	User *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"user"`
}

// lookup asks the app. Errors never carry the cookie: they name only the
// URL and the status.
func (s *SessionResolver) lookup(ctx context.Context, cookie string) (Session, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	data, err := getsession.Fetch(ctx, s.cfg.Client, s.cfg.URL, cookie)
	if err != nil {
		return Session{}, err
	}
	return parseSession(data)
}

// parseSession reads a get-session body: JSON null (no session) or
// {session, user}.
func parseSession(data []byte) (Session, error) {
	var body *getSessionBody
	if err := json.Unmarshal(data, &body); err != nil {
		return Session{}, fmt.Errorf("get-session: not JSON: %w", err)
	}
	if body == nil || body.User == nil {
		return Session{}, nil
	}
	return Session{UserID: body.User.ID, Email: jscase.ToLower(body.User.Email), Name: body.User.Name}, nil
}
