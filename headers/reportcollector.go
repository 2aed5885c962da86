package headers

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ocomms/ocomms-edge/internal/apierror"
)

// ReportLimits bound what the report endpoint accepts. Zero fields take
// their defaults.
type ReportLimits struct {
	// MaxBody is the largest report body accepted. Default: 64 KiB.
	MaxBody int64
	// PerClient is how many report requests one client may send per
	// Window. Default: 30.
	PerClient int
	// Window is the rate window and the de-duplication horizon.
	// Default: 1m.
	Window time.Duration
	// MaxClients bounds the per-client counters kept. Default: 10,000.
	MaxClients int
	// MaxFingerprints bounds the de-duplication memory. Default: 4,096.
	MaxFingerprints int
}

func (l ReportLimits) withDefaults() ReportLimits {
	if l.MaxBody <= 0 {
		l.MaxBody = 64 << 10
	}
	if l.PerClient <= 0 {
		l.PerClient = 30
	}
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	if l.MaxClients <= 0 {
		l.MaxClients = 10000
	}
	if l.MaxFingerprints <= 0 {
		l.MaxFingerprints = 4096
	}
	return l
}

// ReportCollector is the CSP report endpoint: it caps bodies, limits each
// client, de-duplicates, and hands each new violation to its callback.
type ReportCollector struct {
	limits ReportLimits
	// OnViolation receives each new (not duplicate) violation with the
	// client IP that sent it.
	onViolation func(v Violation, clientIP string)
	// ClientIP returns the trusted client address to limit by; the Caddy
	// adapter supplies Caddy's client_ip. The package never works an
	// address out itself: with none, every report shares one client's
	// budget.
	ClientIP func(*http.Request) string
	now      func() time.Time

	mu          sync.Mutex
	clients     map[string]*clientWindow
	fingerprint map[string]time.Time

	accepted, duplicate, limited, invalid atomic.Uint64
}

type clientWindow struct {
	start time.Time
	count int
}

// NewReportCollector returns a collector with the given limits that calls
// onViolation (which may be nil) for each new violation.
func NewReportCollector(limits ReportLimits, onViolation func(Violation, string)) *ReportCollector {
	return &ReportCollector{
		limits:      limits.withDefaults(),
		onViolation: onViolation,
		now:         time.Now,
		clients:     map[string]*clientWindow{},
		fingerprint: map[string]time.Time{},
	}
}

// ReportStats counts what the endpoint did with the reports it received.
type ReportStats struct {
	Accepted, Duplicate, Limited, Invalid uint64
}

// Stats returns the collector's counters.
func (c *ReportCollector) Stats() ReportStats {
	return ReportStats{
		Accepted:  c.accepted.Load(),
		Duplicate: c.duplicate.Load(),
		Limited:   c.limited.Load(),
		Invalid:   c.invalid.Load(),
	}
}

// ServeHTTP accepts one report request and answers 204, or a JSON error.
func (c *ReportCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		apierror.Write(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "CSP reports are sent with POST.", 0)
		return
	}
	ip := ""
	if c.ClientIP != nil {
		ip = c.ClientIP(r)
	}
	if !c.allow(ip) {
		c.limited.Add(1)
		apierror.Write(w, http.StatusTooManyRequests, "RATE_LIMITED", "Too many CSP reports from this client; try again later.", int64(c.limits.Window/time.Second))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.limits.MaxBody))
	if err != nil {
		c.invalid.Add(1)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apierror.Write(w, http.StatusRequestEntityTooLarge, "REPORT_TOO_LARGE", "CSP report body exceeds "+strconv.FormatInt(c.limits.MaxBody, 10)+" bytes.", 0)
			return
		}
		apierror.Write(w, http.StatusBadRequest, "INVALID_REPORT", "Could not read the CSP report body.", 0)
		return
	}
	violations, err := ParseReports(r.Header.Get("Content-Type"), body)
	if err != nil {
		c.invalid.Add(1)
		apierror.Write(w, http.StatusBadRequest, "INVALID_REPORT", err.Error(), 0)
		return
	}
	for _, v := range violations {
		if c.seen(v) {
			c.duplicate.Add(1)
			continue
		}
		c.accepted.Add(1)
		if c.onViolation != nil {
			c.onViolation(v, ip)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// allow counts one request of ip in its fixed window.
func (c *ReportCollector) allow(ip string) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	cw, ok := c.clients[ip]
	if !ok || now.Sub(cw.start) >= c.limits.Window {
		if !ok && len(c.clients) >= c.limits.MaxClients {
			c.evictClients(now)
			if len(c.clients) >= c.limits.MaxClients {
				return false // table full of active clients: shed load
			}
		}
		c.clients[ip] = &clientWindow{start: now, count: 1}
		return true
	}
	cw.count++
	return cw.count <= c.limits.PerClient
}

func (c *ReportCollector) evictClients(now time.Time) {
	for ip, cw := range c.clients {
		if now.Sub(cw.start) >= c.limits.Window {
			delete(c.clients, ip)
		}
	}
}

// seen reports whether an equal violation was accepted within the window,
// and records v otherwise.
func (c *ReportCollector) seen(v Violation) bool {
	key := v.EffectiveDirective + "\x00" + v.BlockedURL + "\x00" + v.DocumentURL + "\x00" +
		v.SourceFile + "\x00" + strconv.Itoa(v.Line) + "\x00" + strconv.Itoa(v.Column) + "\x00" + v.Disposition
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.fingerprint[key]; ok && now.Sub(t) < c.limits.Window {
		return true
	}
	if len(c.fingerprint) >= c.limits.MaxFingerprints {
		for k, t := range c.fingerprint {
			if now.Sub(t) >= c.limits.Window {
				delete(c.fingerprint, k)
			}
		}
		if len(c.fingerprint) >= c.limits.MaxFingerprints {
			// Still full: forget an arbitrary entry rather than grow.
			for k := range c.fingerprint {
				delete(c.fingerprint, k)
				break
			}
		}
	}
	c.fingerprint[key] = now
	return false
}
