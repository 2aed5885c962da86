package console

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// span is a chart window: its length and its bucket width.
type span struct {
	name   string
	length time.Duration
	step   time.Duration
}

var spans = map[string]span{
	"hour": {"hour", time.Hour, time.Minute},
	"day":  {"day", 24 * time.Hour, 15 * time.Minute},
}

// seriesActions are the events the charts count.
var seriesActions = []secevent.Action{
	secevent.ActionSignInFailed, secevent.ActionAccountLocked, secevent.ActionSignInRefused,
	secevent.ActionRateLimited, secevent.ActionRequestRefused, secevent.ActionCSPViolation,
}

// Series is one line of a chart: counts per bucket.
type Series struct {
	// Chart groups lines into one chart: signin, ratelimit, refusals, csp.
	Chart string `json:"chart"`
	// Name is the line's label (an action, a zone or a refusal reason).
	Name   string `json:"name"`
	Counts []int  `json:"counts"`
}

// Buckets is the charts' data: bucket start times (Unix seconds) and the
// lines, counted server-side from the audit log.
type Buckets struct {
	Window string   `json:"window"`
	Step   int64    `json:"step_seconds"`
	Times  []int64  `json:"times"`
	Series []Series `json:"series"`
	// Truncated is set when MaxScan events were read before the window's
	// start: the oldest buckets are then undercounted.
	Truncated bool `json:"truncated"`
	Scanned   int  `json:"scanned"`
}

// bucketer counts events into a window's buckets.
type bucketer struct {
	start time.Time
	sp    span
	n     int
	lines map[[2]string][]int
}

func newBucketer(sp span, now time.Time) *bucketer {
	end := now.Truncate(sp.step).Add(sp.step)
	n := int(sp.length / sp.step)
	return &bucketer{start: end.Add(-sp.length), sp: sp, n: n, lines: map[[2]string][]int{}}
}

func (b *bucketer) inc(chart, name string, t time.Time) {
	i := int(t.Sub(b.start) / b.sp.step)
	if t.Before(b.start) || i >= b.n {
		return
	}
	k := [2]string{chart, name}
	c := b.lines[k]
	if c == nil {
		c = make([]int, b.n)
		b.lines[k] = c
	}
	c[i]++
}

// add counts one event on the lines it belongs to.
func (b *bucketer) add(e *secevent.Event) {
	switch e.Action {
	case secevent.ActionSignInFailed, secevent.ActionAccountLocked:
		b.inc("signin", string(e.Action), e.Time)
	case secevent.ActionRateLimited:
		zones := e.Labels["zone"]
		if zones == "" {
			zones = "unknown"
		}
		for _, z := range strings.Split(zones, ",") {
			b.inc("ratelimit", z, e.Time)
		}
	case secevent.ActionRequestRefused, secevent.ActionSignInRefused:
		reason := e.Reason
		if reason == "" {
			reason = string(e.Action)
		}
		b.inc("refusals", reason, e.Time)
	case secevent.ActionCSPViolation:
		b.inc("csp", "csp_violation", e.Time)
	}
}

func (b *bucketer) result() Buckets {
	out := Buckets{Window: b.sp.name, Step: int64(b.sp.step / time.Second), Series: []Series{}}
	for i := range b.n {
		out.Times = append(out.Times, b.start.Add(time.Duration(i)*b.sp.step).Unix())
	}
	for k, c := range b.lines {
		out.Series = append(out.Series, Series{Chart: k[0], Name: k[1], Counts: c})
	}
	sort.Slice(out.Series, func(i, j int) bool {
		if out.Series[i].Chart != out.Series[j].Chart {
			return out.Series[i].Chart < out.Series[j].Chart
		}
		return out.Series[i].Name < out.Series[j].Name
	})
	return out
}

// scan pages through the events of f, newest first, calling fn for each,
// until the store has no more or max events were read. It reports
// whether it stopped at max.
func scan(ctx context.Context, ev Events, f EventFilter, max int, fn func(*secevent.Event)) (read int, truncated bool, err error) {
	f.Limit = 1000
	for {
		p, err := ev.Query(ctx, f)
		if err != nil {
			return read, false, err
		}
		for i := range p.Events {
			fn(&p.Events[i])
		}
		read += len(p.Events)
		if p.Next == "" {
			return read, false, nil
		}
		if read >= max {
			return read, true, nil
		}
		f.After = p.Next
	}
}

// eventsSpan returns the span ?window= names (hour by default) for an
// answer read from the audit store. When no store answers queries, or the
// window is neither hour nor day, it answers the error and reports false.
func (h *Handler) eventsSpan(w http.ResponseWriter, r *http.Request) (span, bool) {
	if !h.hasEvents(w) {
		return span{}, false
	}
	name := r.URL.Query().Get("window")
	if name == "" {
		name = "hour"
	}
	sp, ok := spans[name]
	if !ok {
		writeError(w, http.StatusBadRequest, "BAD_WINDOW", "window is hour or day.")
	}
	return sp, ok
}

// serveSeries answers the charts of ?window=hour (1-minute buckets) or
// day (15-minute buckets), computed at most once per refresh interval.
func (h *Handler) serveSeries(w http.ResponseWriter, r *http.Request) {
	h.serveWindowed(w, r, "series", func(ctx context.Context, sp span, now time.Time) (any, error) {
		b := newBucketer(sp, now)
		f := EventFilter{Actions: seriesActions, Since: b.start}
		read, truncated, err := scan(ctx, h.cfg.Events, f, h.cfg.MaxScan, b.add)
		out := b.result()
		out.Truncated, out.Scanned = truncated, read
		return out, err
	})
}

// serveWindowed answers an aggregate of the events of ?window=, which
// compute makes at most once per refresh interval and kind (every open
// page shares it), within the backend timeout.
func (h *Handler) serveWindowed(w http.ResponseWriter, r *http.Request, kind string, compute func(ctx context.Context, sp span, now time.Time) (any, error)) {
	sp, ok := h.eventsSpan(w, r)
	if !ok {
		return
	}
	now := h.cfg.Now()
	v, err := h.memo.get(kind+":"+sp.name, now, h.cfg.Refresh, func() (any, error) {
		ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
		defer cancel()
		return compute(ctx, sp, now)
	})
	if err != nil {
		queryError(w, err)
		return
	}
	writeJSON(w, v)
}
