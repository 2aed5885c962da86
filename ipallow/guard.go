package ipallow

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/internal/apierror"
	"github.com/ocomms/ocomms-edge/internal/plainnext"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Refusal code and message of the 403 answer.
const (
	DeniedCode    = "IP_NOT_ALLOWED"
	DeniedMessage = "This action is not allowed from your network."
)

// NextHandler is the rest of the handler chain. Caddy's caddyhttp.Handler
// satisfies it as it is, so the adapter hands its next handler over
// without wrapping (and without allocating).
type NextHandler interface {
	ServeHTTP(http.ResponseWriter, *http.Request) error
}

// Config configures a Guard. ClientIP is required.
type Config struct {
	// Allow is the list of client networks administrative requests may
	// come from. An empty list turns the guard off: everything passes.
	Allow *List
	// Rules say which requests are administrative. Empty: every request
	// the guard sees.
	Rules Rules
	// ClientIP returns the trusted client address (Caddy's client_ip),
	// never one read from a request header.
	ClientIP func(*http.Request) netip.Addr
	// Events receives one access_denied event per refusal. Default:
	// discarded.
	Events secevent.Emitter
	// OnDeny is called once per refusal with the rule kind (RulePath,
	// RuleServerAction, RuleAll), for a metric. Optional.
	OnDeny func(kind string)
	// Logger gets one line per refusal. Default: no logging.
	Logger *zap.Logger
}

// Guard refuses administrative requests from clients outside the list.
type Guard struct {
	cfg   Config
	rules compiled
}

// New builds a Guard.
func New(cfg Config) (*Guard, error) {
	if cfg.ClientIP == nil {
		return nil, errors.New("ipallow: no client IP source")
	}
	rules, err := cfg.Rules.compile()
	if err != nil {
		return nil, err
	}
	if cfg.Events == nil {
		cfg.Events = secevent.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Guard{cfg: cfg, rules: rules}, nil
}

// Off reports whether the allowlist is empty, so nothing is refused.
func (g *Guard) Off() bool { return g.cfg.Allow.Len() == 0 }

// Handler adapts the guard to plain net/http.
func (g *Guard) Handler(next http.Handler) http.Handler {
	n := plainnext.Next{H: next}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = g.Serve(w, r, n)
	})
}

// Serve passes requests no rule matches and administrative requests from
// allowed clients to next, untouched; it answers any other administrative
// request 403 JSON itself and forwards nothing. Requests the rules do not
// match, and allowed ones, do not allocate.
func (g *Guard) Serve(w http.ResponseWriter, r *http.Request, next NextHandler) error {
	if g.cfg.Allow.Len() == 0 {
		return next.ServeHTTP(w, r)
	}
	kind, rule := g.rules.match(r)
	if kind == "" {
		return next.ServeHTTP(w, r)
	}
	ip := g.cfg.ClientIP(r)
	if g.cfg.Allow.Contains(ip) {
		return next.ServeHTTP(w, r)
	}
	g.deny(w, r, ip, kind, rule)
	return nil
}

// deny answers the refusal and reports it.
func (g *Guard) deny(w http.ResponseWriter, r *http.Request, ip netip.Addr, kind, rule string) {
	apierror.Write(w, http.StatusForbidden, DeniedCode, DeniedMessage, 0)
	if g.cfg.OnDeny != nil {
		g.cfg.OnDeny(kind)
	}
	labels := map[string]string{"by": "ip_allow", "rule": kind}
	if rule != "" {
		labels["rule_match"] = clip(rule, 120)
	}
	e := secevent.AccessDenied(r, ip, DeniedCode, labels)
	g.cfg.Events.Emit(e)
	if c := g.cfg.Logger.Check(zap.WarnLevel, "admin request from a client outside the allowlist"); c != nil {
		c.Write(zap.String("client_ip", e.SourceIP), zap.String("method", r.Method),
			zap.String("path", clip(r.URL.Path, 1024)), zap.String("rule", kind), zap.String("match", rule))
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// String describes the guard for logs.
func (g *Guard) String() string {
	return fmt.Sprintf("ipallow(%s)", g.cfg.Allow)
}
