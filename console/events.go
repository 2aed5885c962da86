package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// eventView is one event as the page gets it: no email (its hash), no
// user name.
type eventView struct {
	ID       string            `json:"id"`
	Time     time.Time         `json:"time"`
	Action   secevent.Action   `json:"action"`
	Outcome  secevent.Outcome  `json:"outcome"`
	Reason   string            `json:"reason,omitempty"`
	Account  string            `json:"account,omitempty"`
	UserID   string            `json:"user_id,omitempty"`
	Target   string            `json:"target,omitempty"`
	IP       string            `json:"ip,omitempty"`
	Method   string            `json:"method,omitempty"`
	Path     string            `json:"path,omitempty"`
	Status   int               `json:"status,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Sequence uint64            `json:"sequence,omitempty"`
}

func (h *Handler) view(e secevent.Event) eventView {
	v := eventView{
		ID: e.ID, Time: e.Time.UTC(), Action: e.Action, Outcome: e.Outcome, Reason: e.Reason,
		Account: h.accountOf(e.UserEmail), UserID: e.UserID, IP: e.SourceIP, Method: e.Method,
		Path: e.Path, Status: e.Status, Instance: e.Instance, Sequence: e.Sequence,
	}
	switch {
	case e.TargetEmail != "":
		v.Target = h.accountOf(e.TargetEmail)
	case e.TargetUser != "":
		v.Target = h.redactValue(e.TargetUser)
	}
	if len(e.Labels) > 0 {
		v.Labels = make(map[string]string, len(e.Labels))
		for k, val := range e.Labels {
			v.Labels[k] = h.redactValue(val)
		}
	}
	return v
}

// ecs is the event's ECS fields, flat, for the detail view, under the
// names the audit log writes (secevent's Field names), with user.email and
// user.target.email replaced by user.hash and user.target.hash.
func (h *Handler) ecs(e secevent.Event) map[string]any {
	kind, cat, typ, _ := secevent.ECSClass(e.Action)
	m := map[string]any{
		secevent.FieldTimestamp: e.Time.UTC().Format(time.RFC3339Nano), secevent.FieldEventID: e.ID,
		secevent.FieldEventAction: string(e.Action), secevent.FieldEventOutcome: string(e.Outcome),
		secevent.FieldEventKind: kind, secevent.FieldECSVersion: secevent.ECSVersion,
	}
	if len(cat) > 0 {
		m[secevent.FieldEventCategory] = cat
		m[secevent.FieldEventType] = typ
	}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put(secevent.FieldEventReason, e.Reason)
	put(secevent.FieldUserID, e.UserID)
	put("user.hash", h.accountOf(e.UserEmail))
	if e.TargetEmail != "" {
		put("user.target.hash", h.accountOf(e.TargetEmail))
	} else {
		put(secevent.FieldUserTargetID, h.redactValue(e.TargetUser))
	}
	put(secevent.FieldSourceIP, e.SourceIP)
	put(secevent.FieldUserAgent, e.UserAgent)
	put(secevent.FieldHTTPMethod, e.Method)
	put(secevent.FieldURLPath, e.Path)
	if e.Status != 0 {
		m[secevent.FieldHTTPStatus] = e.Status
	}
	for k, v := range e.Labels {
		m[secevent.LabelField(k)] = h.redactValue(v)
	}
	put(secevent.FieldObserverName, e.Instance)
	if e.Sequence != 0 {
		m[secevent.FieldEventSequence] = e.Sequence
	}
	return m
}

// eventQuery is the filter a page request asks for, and the account key
// to match when the operator gave a key rather than an email.
type eventQuery struct {
	f       EventFilter
	key     string // match by account hash (scanned)
	typed   string // the key of a typed email, for the page to show it
	account string
}

var errBadFilter = errors.New("bad filter")

// consoleMaxLimit and consoleDefaultLimit bound a page of the event
// list; maxCursor bounds the opaque cursor a page request may carry.
const (
	consoleDefaultLimit = 50
	consoleMaxLimit     = 200
	maxCursor           = 512
	maxAccount          = 320
)

// parseEventQuery reads type, outcome, account, ip, since, until, after
// and limit: the event model's filter grammar (secevent.FilterText), with
// the account as the console takes it (an email, a key hash or a user id)
// and the console's own page bounds.
func (h *Handler) parseEventQuery(q func(string) string) (eventQuery, error) {
	var eq eventQuery
	f, err := secevent.FilterText{Type: q("type"), Outcome: q("outcome"), IP: q("ip"),
		Since: q("since"), Until: q("until"), Limit: q("limit"), After: q("after")}.Filter(h.cfg.Now())
	if err != nil {
		return eq, fmt.Errorf("%w: %v", errBadFilter, err)
	}
	switch {
	case f.Limit == 0:
		f.Limit = consoleDefaultLimit
	case f.Limit > consoleMaxLimit:
		return eq, fmt.Errorf("%w: limit 1 to %d", errBadFilter, consoleMaxLimit)
	}
	if len(f.After) > maxCursor {
		return eq, fmt.Errorf("%w: cursor too long", errBadFilter)
	}
	if a := strings.TrimSpace(q("account")); a != "" {
		if len(a) > maxAccount {
			return eq, fmt.Errorf("%w: account too long", errBadFilter)
		}
		switch {
		case strings.Contains(a, "@"):
			f.Email = normEmail(a)
			eq.typed = h.accountOf(a)
		case validKey(a):
			eq.key = a
		default:
			f.UserID = a
		}
	}
	eq.f = f
	return eq, nil
}

// serveEvents answers one page of events, newest first.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	if !h.hasEvents(w) {
		return
	}
	eq, err := h.parseEventQuery(r.URL.Query().Get)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BAD_FILTER", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	var page EventPage
	if eq.key != "" {
		page, err = h.scanForKey(ctx, eq)
	} else {
		page, err = h.cfg.Events.Query(ctx, eq.f)
	}
	if err != nil {
		queryError(w, err)
		return
	}
	out := make([]eventView, 0, len(page.Events))
	for _, e := range page.Events {
		out = append(out, h.view(e))
	}
	writeJSON(w, map[string]any{"events": out, "next": page.Next, "typed_key": eq.typed})
}

// scanForKey pages through the store keeping the events whose account or
// target hashes to eq.key, until a page is full or MaxScan events were
// read. It answers the newest matches, without a cursor.
func (h *Handler) scanForKey(ctx context.Context, eq eventQuery) (EventPage, error) {
	f := eq.f
	want := f.Limit
	f.Limit = 500
	var out EventPage
	read := 0
	for {
		p, err := h.cfg.Events.Query(ctx, f)
		if err != nil {
			return out, err
		}
		for _, e := range p.Events {
			if h.accountOf(e.UserEmail) == eq.key || h.accountOf(e.TargetEmail) == eq.key || e.TargetUser == eq.key {
				out.Events = append(out.Events, e)
				if len(out.Events) == want {
					// The newest matches only: a store cursor cannot resume
					// inside a page, so older ones need a narrower window.
					return out, nil
				}
			}
		}
		read += len(p.Events)
		if p.Next == "" || read >= h.cfg.MaxScan {
			return out, nil
		}
		f.After = p.Next
	}
}
