package origin

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/internal/apierror"
	"github.com/ocomms/ocomms-edge/internal/routepath"
	"github.com/ocomms/ocomms-edge/secevent"
)

// NextHandler is the rest of the handler chain. Caddy's caddyhttp.Handler
// satisfies it as it is.
type NextHandler interface {
	ServeHTTP(http.ResponseWriter, *http.Request) error
}

// Verdict is how a request's Origin relates to the site.
type Verdict int

// The verdicts.
const (
	// None: no Origin header.
	None Verdict = iota
	// Same: the site's own origin.
	Same
	// Listed: another origin the configuration allows.
	Listed
	// Foreign: any other origin, "null", an unparsable or repeated
	// Origin header.
	Foreign
)

// Judge returns how r's Origin relates to the site, and the header's
// value as sent.
func (p *Policy) Judge(r *http.Request) (Verdict, string) {
	vals := r.Header["Origin"]
	switch len(vals) {
	case 0:
		return None, ""
	case 1:
	default:
		return Foreign, vals[0]
	}
	raw := vals[0]
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// The common cases without parsing: a browser's own origin, or a
	// configured one, exactly as it serialises them.
	if rest, ok := strings.CutPrefix(raw, scheme+"://"); ok && asciiEqualFold(rest, r.Host) && plainHost(rest) {
		return Same, raw
	}
	if slices.Contains(p.allowed, raw) {
		return Listed, raw
	}
	c, err := Parse(raw)
	if err != nil {
		return Foreign, raw
	}
	if self, err := Parse(scheme + "://" + r.Host); err == nil && c == self {
		return Same, raw
	}
	if slices.Contains(p.allowed, c) {
		return Listed, raw
	}
	return Foreign, raw
}

// plainHost reports whether s is a lower-case ASCII host[:port] that
// Parse would leave as it is (apart from a default port, which then
// differs from the Host and takes the slow path).
func plainHost(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == ':') {
			return false
		}
	}
	return s != "" && !strings.Contains(s, "xn--")
}

// asciiEqualFold compares ignoring ASCII case only.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Serve applies the policy: preflights answered here, refusals answered
// 403 JSON here (nothing forwarded), everything else passed to next with
// its Access-Control-Allow-* response headers filtered.
func (p *Policy) Serve(w http.ResponseWriter, r *http.Request, next NextHandler) error {
	v, raw := p.Judge(r)
	if r.Method == http.MethodOptions && v != None && r.Header.Get("Access-Control-Request-Method") != "" {
		p.preflight(w, r, v, raw)
		return nil
	}
	if p.isSocketIO(r.URL.Path) {
		switch {
		case v == Foreign:
			p.refuse(w, r, KindSocketIO, CodeNotAllowed, raw)
			return nil
		case v == None && p.cfg.SocketIORequireOrigin:
			p.refuse(w, r, KindSocketIO, CodeRequired, raw)
			return nil
		}
	}
	if !safeMethod(r.Method) && r.Header.Get("Cookie") != "" {
		switch {
		case v == Foreign:
			p.refuse(w, r, KindUnsafe, CodeNotAllowed, raw)
			return nil
		case v == None && strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site"):
			p.refuse(w, r, KindUnsafe, CodeCrossSite, raw)
			return nil
		}
	}
	fw := filterWriters.Get().(*filterWriter)
	*fw = filterWriter{ResponseWriter: w, p: p}
	if v == Listed {
		fw.origin = raw
	}
	err := next.ServeHTTP(fw, r)
	// The handler chain is done with the writer once it returns (a
	// hijacked connection no longer goes through it).
	*fw = filterWriter{}
	filterWriters.Put(fw)
	return err
}

// filterWriters recycles the per-request header filter, so a forwarded
// request costs the policy no allocation.
var filterWriters = sync.Pool{New: func() any { return new(filterWriter) }}

// safeMethod reports RFC 9110's safe methods.
func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// isSocketIO reports whether the path is under the Socket.IO mount,
// cleaning spellings a router would normalise first.
func (p *Policy) isSocketIO(upath string) bool {
	if routepath.Under(upath, p.socketPrefix) {
		return true
	}
	if routepath.NeedsClean(upath) {
		return routepath.Under(routepath.Clean(upath), p.socketPrefix)
	}
	return false
}

// preflight answers a CORS preflight: 204 with the CORS grant for the
// site's own and listed origins, 403 JSON without any
// Access-Control-Allow-* header for others.
func (p *Policy) preflight(w http.ResponseWriter, r *http.Request, v Verdict, raw string) {
	h := w.Header()
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	if v == Foreign {
		p.refuse(w, r, KindPreflight, CodeNotAllowed, raw)
		return
	}
	h.Set("Access-Control-Allow-Origin", raw)
	if !p.cfg.NoCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", p.methods)
	h.Set("Access-Control-Allow-Headers", p.headers)
	h.Set("Access-Control-Max-Age", p.maxAge)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// messages of the refusals.
var messages = map[string]string{
	CodeNotAllowed: "Requests from this origin are not allowed.",
	CodeRequired:   "This endpoint needs an Origin header.",
	CodeCrossSite:  "Cross-site requests are not allowed.",
}

// refuse answers 403 JSON and reports the refusal.
func (p *Policy) refuse(w http.ResponseWriter, r *http.Request, kind, code, raw string) {
	apierror.Write(w, http.StatusForbidden, code, messages[code], 0)
	if p.cfg.OnRefuse != nil {
		p.cfg.OnRefuse(kind)
	}
	labels := map[string]string{"by": "origin", "rule": kind}
	if raw != "" {
		labels["origin"] = secevent.Printable(raw, 200)
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		labels["sec_fetch_site"] = secevent.Printable(s, 20)
	}
	e := secevent.AccessDenied(r, p.cfg.ClientIP(r), code, labels)
	p.cfg.Events.Emit(e)
	if c := p.cfg.Logger.Check(zap.WarnLevel, "request from a foreign origin refused"); c != nil {
		c.Write(zap.String("client_ip", e.SourceIP), zap.String("method", r.Method), zap.String("path", secevent.Printable(r.URL.Path, 1024)),
			zap.String("origin", secevent.Printable(raw, 200)), zap.String("rule", kind), zap.String("code", code))
	}
}
