package console

import (
	"context"
	"net/http"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// neighbourCount is how many events by the same IP and by the same
// account the detail view shows.
const neighbourCount = 10

// serveEvent answers one event in full (its ECS fields) with its
// neighbours: the events that led up to it (the day before, newest first)
// from the same source IP and of the same account. The page names the event by id and time
// (?id=&at=); the account's email never leaves the server.
func (h *Handler) serveEvent(w http.ResponseWriter, r *http.Request) {
	if !h.hasEvents(w) {
		return
	}
	id := r.URL.Query().Get("id")
	at, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get("at"))
	if id == "" || len(id) > 64 || err != nil {
		writeError(w, http.StatusBadRequest, "BAD_EVENT", "Name the event by id and at (its RFC 3339 time).")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	ev, ok, err := h.findEvent(ctx, id, at)
	if err != nil {
		queryError(w, err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, "NO_EVENT", "No such event.")
		return
	}
	out := map[string]any{"event": h.view(ev), "ecs": h.ecs(ev), "by_ip": []eventView{}, "by_account": []eventView{}}
	around := EventFilter{Since: ev.Time.Add(-24 * time.Hour), Until: ev.Time.Add(time.Microsecond), Limit: neighbourCount + 1}
	if ev.SourceIP != "" {
		f := around
		f.IP = ev.SourceIP
		if out["by_ip"], err = h.neighbours(ctx, f, ev.ID); err != nil {
			queryError(w, err)
			return
		}
	}
	if ev.UserEmail != "" || ev.UserID != "" {
		f := around
		f.Email, f.UserID = ev.UserEmail, ev.UserID
		if ev.UserEmail != "" {
			f.UserID = ""
		}
		if out["by_account"], err = h.neighbours(ctx, f, ev.ID); err != nil {
			queryError(w, err)
			return
		}
	}
	writeJSON(w, out)
}

// findEvent looks for the event id in the microsecond it happened.
func (h *Handler) findEvent(ctx context.Context, id string, at time.Time) (secevent.Event, bool, error) {
	at = at.Truncate(time.Microsecond)
	f := EventFilter{Since: at, Until: at.Add(time.Microsecond), Limit: 1000}
	for {
		p, err := h.cfg.Events.Query(ctx, f)
		if err != nil {
			return secevent.Event{}, false, err
		}
		for _, e := range p.Events {
			if e.ID == id {
				return e, true, nil
			}
		}
		if p.Next == "" {
			return secevent.Event{}, false, nil
		}
		f.After = p.Next
	}
}

// neighbours returns up to neighbourCount events of f other than self,
// newest first.
func (h *Handler) neighbours(ctx context.Context, f EventFilter, self string) ([]eventView, error) {
	p, err := h.cfg.Events.Query(ctx, f)
	if err != nil {
		return nil, err
	}
	out := []eventView{}
	for _, e := range p.Events {
		if e.ID != self && len(out) < neighbourCount {
			out = append(out, h.view(e))
		}
	}
	return out, nil
}
