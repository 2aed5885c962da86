package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/internal/apierror"
	"github.com/ocomms/ocomms-edge/secevent"
)

// DefaultPrefix is where the console is served unless Config.Prefix says
// otherwise.
const DefaultPrefix = "/ocomms/console"

// DefaultRefresh is how often the page reloads its panels.
const DefaultRefresh = 5 * time.Second

// DefaultMaxScan caps the events read for one chart or CSP answer.
const DefaultMaxScan = 20000

// Config is a console's data and rules. Authorizer is required; a nil
// backend shows its panel as unavailable.
type Config struct {
	// Prefix is the path the console lives under (no trailing slash).
	// Default: DefaultPrefix.
	Prefix string
	// Authorizer decides who may use the console. Required.
	Authorizer Authorizer
	Lockouts   Lockouts
	Events     Events
	Health     Health
	Verifier   Verifier
	// Doctor runs the doctor on demand; nil hides it.
	Doctor Doctor
	// Emitter records unlocks as admin actions. Default: secevent.Discard.
	Emitter secevent.Emitter
	// ClientIP is the trusted client address of a request (the adapter's
	// client_ip); it is recorded in audit events only.
	ClientIP func(*http.Request) string
	// Refresh is the page's reload interval. Default: DefaultRefresh.
	Refresh time.Duration
	// MaxScan caps the events read for charts and CSP groups.
	MaxScan int
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Handler serves the console. Requests outside Prefix are not its own:
// ServeHTTP reports them through Owns so that the adapter passes them on.
type Handler struct {
	cfg    Config
	doctor doctorRun
	memo   memo
}

// New checks cfg and returns the console's handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Authorizer == nil {
		return nil, errors.New("console: an authorizer is required")
	}
	cfg.Prefix = strings.TrimRight(cfg.Prefix, "/")
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(cfg.Prefix, "/") {
		return nil, errors.New("console: the prefix must start with /")
	}
	if cfg.Emitter == nil {
		cfg.Emitter = secevent.Discard
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = func(*http.Request) string { return "" }
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.MaxScan <= 0 {
		cfg.MaxScan = DefaultMaxScan
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg}, nil
}

// Prefix is the path the console lives under.
func (h *Handler) Prefix() string { return h.cfg.Prefix }

// Owns reports whether path is the console's.
func (h *Handler) Owns(path string) bool {
	return path == h.cfg.Prefix || strings.HasPrefix(path, h.cfg.Prefix+"/")
}

// ServeHTTP answers a request under Prefix: the page and its assets, and
// the JSON API under api/. Every answer, the page included, needs an
// operator the Authorizer admits; anyone else gets 403 JSON and no data.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if !h.Owns(r.URL.Path) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Not found.")
		return
	}
	op, err := h.cfg.Authorizer.Authorize(r)
	if err != nil {
		msg := "The console needs a signed-in admin."
		if errors.Is(err, ErrNotAdmin) {
			msg = "The console is for admins only."
		}
		writeError(w, http.StatusForbidden, "FORBIDDEN", msg)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, h.cfg.Prefix)
	if rest == "" {
		http.Redirect(w, r, h.cfg.Prefix+"/", http.StatusFound)
		return
	}
	if api, ok := strings.CutPrefix(rest, "/api/"); ok {
		h.serveAPI(w, r, op, api)
		return
	}
	h.serveAsset(w, r, rest)
}

// serveAPI routes the JSON API. Only unlock changes state, and only by POST.
func (h *Handler) serveAPI(w http.ResponseWriter, r *http.Request, op Operator, name string) {
	if name == "unlock" {
		h.serveUnlock(w, r, op)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Use GET.")
		return
	}
	if name == "whoami" {
		writeJSON(w, map[string]any{"local": op.Local, "operator": h.operatorHash(op),
			"refresh_ms": h.cfg.Refresh.Milliseconds(), "actions": secevent.Actions()})
		return
	}
	serve, ok := readAPIs[name]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No such console API.")
		return
	}
	serve(h, w, r)
}

// readAPIs are the console's read-only JSON APIs by name (whoami, which
// needs the operator, is answered in serveAPI).
var readAPIs = map[string]func(*Handler, http.ResponseWriter, *http.Request){
	"lockouts": (*Handler).serveLockouts,
	"events":   (*Handler).serveEvents,
	"event":    (*Handler).serveEvent,
	"series":   (*Handler).serveSeries,
	"csp":      (*Handler).serveCSP,
	"health":   (*Handler).serveHealth,
	"verify":   (*Handler).serveVerify,
	"doctor":   (*Handler).serveDoctor,
}

// operatorHash names the operator on the page without their email.
func (h *Handler) operatorHash(op Operator) string {
	if op.Local {
		return "local"
	}
	if op.Email != "" {
		return h.accountOf(op.Email)
	}
	return op.UserID
}

// setSecurityHeaders is the console's own policy, whatever the site's:
// scripts and styles from the console's origin only (with the site's
// nonce when a header module in front adds one), no framing, no caching.
func setSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// writeNoAudit answers that no audit store can answer queries.
func writeNoAudit(w http.ResponseWriter) {
	writeError(w, http.StatusServiceUnavailable, "NO_AUDIT", "The audit log is not running or cannot answer queries.")
}

// hasEvents reports whether an audit store answers queries; when none
// does, it answers NO_AUDIT.
func (h *Handler) hasEvents(w http.ResponseWriter) bool {
	if h.cfg.Events == nil {
		writeNoAudit(w)
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	apierror.Write(w, status, code, msg, 0)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// queryError answers a failed audit query without its text (which may
// name a store address).
func queryError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrUnavailable) {
		writeNoAudit(w)
		return
	}
	writeError(w, http.StatusServiceUnavailable, "QUERY_FAILED", "The audit query failed.")
}
