package console

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// CSPGroup is the CSP reports of one directive and blocked URI.
type CSPGroup struct {
	Directive  string    `json:"directive"`
	BlockedURI string    `json:"blocked_uri"`
	Count      int       `json:"count"`
	Last       time.Time `json:"last"`
	// Document is the page of the newest report.
	Document string `json:"document,omitempty"`
}

// groupCSP groups csp_violation events (newest first) by directive and
// blocked URI, the biggest groups first.
func groupCSP(events func(fn func(*secevent.Event)) error) ([]CSPGroup, error) {
	by := map[[2]string]*CSPGroup{}
	err := events(func(e *secevent.Event) {
		if e.Action != secevent.ActionCSPViolation {
			return
		}
		k := [2]string{e.Labels["directive"], e.Labels["blocked_uri"]}
		g := by[k]
		if g == nil {
			g = &CSPGroup{Directive: k[0], BlockedURI: k[1], Document: e.Labels["document_uri"], Last: e.Time.UTC()}
			by[k] = g
		}
		g.Count++
		if e.Time.After(g.Last) {
			g.Last, g.Document = e.Time.UTC(), e.Labels["document_uri"]
		}
	})
	out := make([]CSPGroup, 0, len(by))
	for _, g := range by {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		if out[i].Directive != out[j].Directive {
			return out[i].Directive < out[j].Directive
		}
		return out[i].BlockedURI < out[j].BlockedURI
	})
	return out, err
}

// serveCSP answers the CSP reports of the window grouped by directive and
// blocked URI, with counts, computed at most once per refresh interval.
func (h *Handler) serveCSP(w http.ResponseWriter, r *http.Request) {
	h.serveWindowed(w, r, "csp", func(ctx context.Context, sp span, now time.Time) (any, error) {
		f := EventFilter{Actions: []secevent.Action{secevent.ActionCSPViolation}, Since: now.Add(-sp.length)}
		truncated := false
		groups, err := groupCSP(func(fn func(*secevent.Event)) error {
			var err error
			_, truncated, err = scan(ctx, h.cfg.Events, f, h.cfg.MaxScan, fn)
			return err
		})
		return map[string]any{"window": sp.name, "groups": groups, "truncated": truncated}, err
	})
}
