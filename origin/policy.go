package origin

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Defaults of Config.
const (
	DefaultSocketIOPath = "/socket.io/"
	DefaultMaxAge       = 10 * time.Minute
	// MaxMaxAge bounds Access-Control-Max-Age: a preflight answer is not
	// cached longer than Chromium's own cap.
	MaxMaxAge = 2 * time.Hour
)

// DefaultAllowMethods and DefaultAllowHeaders are what a preflight from an
// allowed origin is told the site accepts.
var (
	DefaultAllowMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
	DefaultAllowHeaders = []string{"Content-Type", "Authorization", "X-Requested-With"}
)

// Config configures a Policy. ClientIP is required.
type Config struct {
	// Allowed are origins allowed besides the site's own (which is always
	// allowed: the request's scheme and Host as the server sees them).
	// Each is scheme://host[:port]; several may share an entry separated
	// by commas or spaces (an environment variable). "*", "null", paths
	// and wildcards are refused.
	Allowed []string
	// SocketIOPath is where Socket.IO is mounted. Default: /socket.io/.
	SocketIOPath string
	// SocketIORequireOrigin refuses /socket.io/ requests that carry no
	// Origin (native clients send none). Default: false (allowed).
	SocketIORequireOrigin bool
	// NoCredentials leaves Access-Control-Allow-Credentials out of the
	// edge's CORS answers. Default: false (credentials allowed, always
	// with the exact origin echoed, never *).
	NoCredentials bool
	// MaxAge is the Access-Control-Max-Age of preflight answers, at most
	// MaxMaxAge. Default: DefaultMaxAge.
	MaxAge time.Duration
	// AllowMethods and AllowHeaders are the preflight answer's lists.
	// Default: DefaultAllowMethods, DefaultAllowHeaders.
	AllowMethods, AllowHeaders []string
	// ClientIP returns the trusted client address (Caddy's client_ip),
	// for events and logs only.
	ClientIP func(*http.Request) netip.Addr
	// Events receives one access_denied event per refusal. Default:
	// discarded.
	Events secevent.Emitter
	// OnRefuse is called once per refusal with its kind (KindSocketIO,
	// KindUnsafe, KindPreflight), for a metric. Optional.
	OnRefuse func(kind string)
	// Logger gets one line per refusal. Default: no logging.
	Logger *zap.Logger
}

// Refusal kinds, the "rule" of an event.
const (
	KindSocketIO  = "socketio"
	KindUnsafe    = "unsafe_method"
	KindPreflight = "preflight"
)

// Refusal codes.
const (
	CodeNotAllowed = "ORIGIN_NOT_ALLOWED"
	CodeRequired   = "ORIGIN_REQUIRED"
	CodeCrossSite  = "CROSS_SITE_REQUEST"
)

// Policy applies the Origin and CORS rules to requests.
type Policy struct {
	cfg          Config
	allowed      []string
	socketPrefix string
	methods      string
	headers      string
	maxAge       string
}

// New builds a Policy, refusing origins it cannot compare exactly.
func New(cfg Config) (*Policy, error) {
	if cfg.ClientIP == nil {
		return nil, errors.New("origin: no client IP source")
	}
	p := &Policy{cfg: cfg}
	for _, entry := range cfg.Allowed {
		for _, o := range strings.FieldsFunc(entry, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			c, err := ParseAllowed(o)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(p.allowed, c) {
				p.allowed = append(p.allowed, c)
			}
		}
	}
	sp := cfg.SocketIOPath
	if sp == "" {
		sp = DefaultSocketIOPath
	}
	if !strings.HasPrefix(sp, "/") {
		return nil, fmt.Errorf("origin: socket.io path %q: want a path such as /socket.io/", sp)
	}
	p.socketPrefix = strings.TrimRight(sp, "/")
	maxAge := cfg.MaxAge
	switch {
	case maxAge == 0:
		maxAge = DefaultMaxAge
	case maxAge < 0 || maxAge > MaxMaxAge:
		return nil, fmt.Errorf("origin: max_age %s: want at most %s", cfg.MaxAge, MaxMaxAge)
	}
	p.maxAge = strconv.Itoa(int(maxAge / time.Second))
	methods := cfg.AllowMethods
	if len(methods) == 0 {
		methods = DefaultAllowMethods
	}
	hdrs := cfg.AllowHeaders
	if len(hdrs) == 0 {
		hdrs = DefaultAllowHeaders
	}
	for _, v := range append(slices.Clone(methods), hdrs...) {
		if v == "*" || !isToken(v) {
			return nil, fmt.Errorf("origin: %q is not a method or header name (wildcards are not allowed with credentials)", v)
		}
	}
	p.methods = strings.ToUpper(strings.Join(methods, ", "))
	p.headers = strings.Join(hdrs, ", ")
	if p.cfg.Events == nil {
		p.cfg.Events = secevent.Discard
	}
	if p.cfg.Logger == nil {
		p.cfg.Logger = zap.NewNop()
	}
	return p, nil
}

// ParseAllowed parses one configured origin: Parse, plus a clear refusal
// of "*", "null" and wildcards; a single trailing "/" is forgiven.
func ParseAllowed(s string) (string, error) {
	switch {
	case s == "*":
		return "", errors.New(`origin: "*" cannot be allowed: list each origin (scheme://host[:port])`)
	case s == Null:
		return "", errors.New(`origin: "null" cannot be allowed: it is any sandboxed or file: document`)
	case strings.Contains(s, "*"):
		return "", fmt.Errorf("origin %q: wildcards are not supported; list each origin exactly", s)
	}
	c, err := Parse(strings.TrimSuffix(s, "/"))
	if err != nil {
		return "", err
	}
	return c, nil
}

// Allowed returns the configured origins in canonical form.
func (p *Policy) Allowed() []string { return slices.Clone(p.allowed) }

// isToken reports whether s is an HTTP token (RFC 9110).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
