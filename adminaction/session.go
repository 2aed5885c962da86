package adminaction

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
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

// maxSessionBody caps the get-session answer read.
const maxSessionBody = 64 << 10

// SessionResolver turns a Cookie header into the acting user by asking the
// app's GET /api/auth/get-session, forwarding only the Cookie header. Answers
// are cached for a short TTL under a keyed hash of the cookie (the cookie
// itself is neither stored nor logged), concurrent lookups of one cookie
// share one request, and the cache is bounded.
type SessionResolver struct {
	cfg    SessionConfig
	key    [32]byte // HMAC key of the cache; random per process
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
	req, err := http.NewRequest(http.MethodGet, cfg.URL, nil)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return nil, fmt.Errorf("session resolver: %q is not an http(s) URL", cfg.URL)
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
		cfg.Client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	s := &SessionResolver{cfg: cfg, cache: newSessionCache(cfg.MaxEntries), now: time.Now, logger: logger}
	if _, err := rand.Read(s.key[:]); err != nil {
		return nil, fmt.Errorf("session resolver: cache key: %w", err)
	}
	return s, nil
}

// Resolve returns the session the Cookie header names. An empty cookie is
// no session without a lookup. A failed lookup returns an error (and is
// not cached); a cookie that names no session returns the zero Session.
func (s *SessionResolver) Resolve(ctx context.Context, cookie string) (Session, error) {
	if cookie == "" {
		return Session{}, nil
	}
	k := s.cacheKey(cookie)
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
		s.cache.remove(s.cacheKey(cookie))
	}
}

// CacheLen is how many cookies the cache holds now.
func (s *SessionResolver) CacheLen() int { return s.cache.len() }

func (s *SessionResolver) cacheKey(cookie string) string {
	m := hmac.New(sha256.New, s.key[:])
	io.WriteString(m, cookie)
	return string(m.Sum(nil))
}

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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return Session{}, fmt.Errorf("get-session request: %w", err)
	}
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return Session{}, fmt.Errorf("get-session: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSessionBody))
		return Session{}, fmt.Errorf("get-session %s: status %d", s.cfg.URL, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSessionBody+1))
	if err != nil {
		return Session{}, fmt.Errorf("get-session %s: reading: %w", s.cfg.URL, err)
	}
	if len(data) > maxSessionBody {
		return Session{}, fmt.Errorf("get-session %s: answer over %d bytes", s.cfg.URL, maxSessionBody)
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
	return Session{UserID: body.User.ID, Email: strings.ToLower(body.User.Email), Name: body.User.Name}, nil
}
