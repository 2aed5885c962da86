package console

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// serveHealth answers the health panel: the backends' findings and the
// certificates of the console's host.
func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Health == nil {
		writeJSON(w, HealthReport{Findings: []Finding{{Area: "console", Name: "health", Status: StatusOff, Detail: "no health source"}}, Certificates: []Certificate{}})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	host := r.Host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	rep, err := h.cfg.Health.Health(ctx, []string{host})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "HEALTH_FAILED", "The health report failed.")
		return
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	if rep.Certificates == nil {
		rep.Certificates = []Certificate{}
	}
	writeJSON(w, rep)
}

// verifyView is the chain panel: verification and the newest checkpoint.
type verifyView struct {
	Verify         *VerifyResult `json:"verify,omitempty"`
	VerifyError    string        `json:"verify_error,omitempty"`
	LastCheckpoint *time.Time    `json:"last_checkpoint,omitempty"`
}

// serveVerify verifies this edge's audit chain and finds its newest signed
// checkpoint (from the verifier, else the newest audit_checkpoint event).
func (h *Handler) serveVerify(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*backendTimeout)
	defer cancel()
	var out verifyView
	if h.cfg.Verifier == nil {
		out.VerifyError = "this audit store cannot be verified"
	} else if res, err := h.cfg.Verifier.Verify(ctx); err != nil {
		out.VerifyError = "verification could not run"
	} else {
		out.Verify = &res
		if !res.LastCheckpoint.IsZero() {
			t := res.LastCheckpoint.UTC()
			out.LastCheckpoint = &t
		}
	}
	if out.LastCheckpoint == nil && h.cfg.Events != nil {
		p, err := h.cfg.Events.Query(ctx, EventFilter{Actions: []secevent.Action{secevent.ActionAuditCheckpoint}, Limit: 1})
		if err == nil && len(p.Events) > 0 {
			t := p.Events[0].Time.UTC()
			out.LastCheckpoint = &t
		}
	}
	writeJSON(w, out)
}
