package console

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Doctor runs the edge's doctor checks against a site and returns their
// findings (with no secret in them).
type Doctor interface {
	Run(ctx context.Context, siteURL string) ([]Finding, error)
}

// doctorCacheTTL is how long a doctor run is reused: a run sends requests
// through the edge, so a page left open must not repeat it every refresh.
const doctorCacheTTL = time.Minute

// doctorRun is the newest run, shared by every page.
type doctorRun struct {
	mu       sync.Mutex
	site     string
	at       time.Time
	findings []Finding
}

// serveDoctor runs the doctor on demand against the console's own site
// (the request's origin), at most once a minute.
func (h *Handler) serveDoctor(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Doctor == nil {
		writeError(w, http.StatusServiceUnavailable, "NO_DOCTOR", "The doctor is not available here.")
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	site := scheme + "://" + r.Host
	d := &h.doctor
	d.mu.Lock()
	defer d.mu.Unlock()
	now := h.cfg.Now()
	if d.site != site || now.Sub(d.at) >= doctorCacheTTL {
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		f, err := h.cfg.Doctor.Run(ctx, site)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "DOCTOR_FAILED", "The doctor could not run.")
			return
		}
		d.site, d.at, d.findings = site, now, f
	}
	findings := d.findings
	if findings == nil {
		findings = []Finding{}
	}
	writeJSON(w, map[string]any{"ran_at": d.at.UTC(), "findings": findings})
}
