package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// AuditStatsPath is the admin API route the audit module serves its
// queue and spool figures on (see AuditStats).
const AuditStatsPath = "/ocomms/audit/stats"

// AuditStats is the JSON body of GET /ocomms/audit/stats. Absent fields
// are not judged.
type AuditStats struct {
	// QueueDepth is the number of events waiting in memory for the sinks.
	QueueDepth *int64 `json:"queue_depth"`
	// QueueCapacity is the bound of that queue.
	QueueCapacity *int64 `json:"queue_capacity"`
	// Backlog is the number of durable events the slowest sink has not
	// acknowledged yet. (Every event passes through the spool, so a
	// spool that is not empty is normal; a backlog that stays is not.)
	Backlog *int64 `json:"backlog"`
	// SpoolBytes is the spool's size on disk.
	SpoolBytes *int64 `json:"spool_bytes"`
	// SpoolSegments is the number of spool files.
	SpoolSegments *int64 `json:"spool_segments"`
	// Dropped counts events lost since start (queue and spool full).
	Dropped *int64 `json:"dropped"`
}

// adminBase turns an admin address into a base URL.
func adminBase(addr string) string {
	addr = strings.TrimRight(addr, "/")
	if strings.Contains(addr, "://") {
		return addr
	}
	return "http://" + addr
}

// adminGet fetches path from the admin API into v. It returns the status.
func adminGet(ctx context.Context, opts Options, path string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminBase(opts.Admin)+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", userAgent)
	c := newAdminClient(opts.Timeout)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("%s: status %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body[:min(len(body), 200)])))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, fmt.Errorf("decoding %s: %w", path, err)
	}
	return resp.StatusCode, nil
}

// checkAdmin checks the admin API: reachable, the TLS issuers configured,
// the reverse proxy upstreams and the audit queue.
func checkAdmin(ctx context.Context, opts Options) []Result {
	if opts.Admin == "" {
		return []Result{
			skipped("admin api", "no --admin address"),
			skipped("upstreams", "no --admin address"),
			skipped("audit queue", "no --admin address"),
			skipped("reload sockets", "no --admin address"),
			skipped("admin listeners", "no --admin address"),
			skipped("console", "no --admin address"),
		}
	}
	var cfg struct {
		Apps struct {
			TLS struct {
				Certificates map[string]json.RawMessage `json:"certificates"`
				Automation   struct {
					Policies []struct {
						Subjects []string `json:"subjects"`
						Issuers  []struct {
							Module string `json:"module"`
							CA     string `json:"ca"`
						} `json:"issuers"`
					} `json:"policies"`
				} `json:"automation"`
			} `json:"tls"`
			HTTP struct {
				Servers map[string]json.RawMessage `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if _, err := adminGet(ctx, opts, "/config/", &cfg); err != nil {
		st := Warn
		if opts.AdminRequired {
			st = Fail
		}
		why := fmt.Sprintf("admin API at %s: %v", adminBase(opts.Admin), err)
		return []Result{
			{Name: "admin api", Status: st, Detail: why, Fix: "run the doctor where the admin endpoint listens (default localhost:2019, inside the container), or pass --admin"},
			skipped("upstreams", "admin API unreachable"),
			skipped("audit queue", "admin API unreachable"),
			skipped("reload sockets", "admin API unreachable"),
			skipped("admin listeners", "admin API unreachable"),
			skipped("console", "admin API unreachable"),
		}
	}
	issuers := map[string]bool{}
	for _, p := range cfg.Apps.TLS.Automation.Policies {
		for _, is := range p.Issuers {
			name := is.Module
			if is.CA != "" {
				name += " " + is.CA
			}
			issuers[name] = true
		}
	}
	var list []string
	for k := range issuers {
		list = append(list, k)
	}
	sort.Strings(list)
	detail := fmt.Sprintf("reachable (HTTP servers: %d)", len(cfg.Apps.HTTP.Servers))
	if len(list) > 0 {
		detail += "; certificate issuers: " + strings.Join(list, ", ")
	} else {
		detail += "; certificate issuers: Caddy's defaults (Let's Encrypt, ZeroSSL; internal for local names)"
	}
	var loaders []string
	for k := range cfg.Apps.TLS.Certificates {
		loaders = append(loaders, k)
	}
	if len(loaders) > 0 {
		sort.Strings(loaders)
		detail += "; certificates also loaded by " + strings.Join(loaders, ", ") + " (Caddy does not renew those)"
	}
	out := []Result{{Name: "admin api", Status: Pass, Detail: detail, Data: map[string]any{"issuers": list}}}
	out = append(out, checkUpstreams(ctx, opts), checkAuditStats(ctx, opts), checkReloadSockets(opts), checkAdminShared(ctx, opts), checkConsole(cfg.Apps.HTTP.Servers))
	return out
}

// checkUpstreams reads /reverse_proxy/upstreams: every upstream with its
// recent failures (passive health).
func checkUpstreams(ctx context.Context, opts Options) Result {
	const name = "upstreams"
	var ups []struct {
		Address     string `json:"address"`
		NumRequests int    `json:"num_requests"`
		Fails       int    `json:"fails"`
	}
	if _, err := adminGet(ctx, opts, "/reverse_proxy/upstreams", &ups); err != nil {
		return Result{Name: name, Status: Warn, Detail: err.Error(), Fix: "the edge should run reverse_proxy to the app"}
	}
	if len(ups) == 0 {
		return Result{Name: name, Status: Warn, Detail: "no reverse_proxy upstreams configured", Fix: "reverse_proxy {$OCOMMS_UPSTREAM} to the OComms app (Caddyfile.example)"}
	}
	var parts, failing []string
	for _, u := range ups {
		parts = append(parts, fmt.Sprintf("%s (%d in flight, %d recent fails)", u.Address, u.NumRequests, u.Fails))
		if u.Fails > 0 {
			failing = append(failing, u.Address)
		}
	}
	res := Result{Name: name, Status: Pass, Detail: strings.Join(parts, ", "), Data: map[string]any{"upstreams": ups}}
	if len(failing) > 0 {
		res.Status = Warn
		res.Fix = "the app at " + strings.Join(failing, ", ") + " failed recently: check that it runs and answers /api/health"
	}
	return res
}

// auditBacklogWarn is the sink backlog (events) past which the doctor
// warns: a few seconds of a busy edge's events in flight are normal.
const auditBacklogWarn = 10000

// checkAuditStats judges the audit module's queue and spool.
func checkAuditStats(ctx context.Context, opts Options) Result {
	const name = "audit queue"
	var st AuditStats
	code, err := adminGet(ctx, opts, AuditStatsPath, &st)
	if code == http.StatusNotFound {
		return skipped(name, "audit stats not available (no ocomms_audit in this edge, or a version without "+AuditStatsPath+")")
	}
	if err != nil {
		return Result{Name: name, Status: Warn, Detail: err.Error(), Fix: "check the edge's log for the audit module"}
	}
	var parts []string
	data := map[string]any{}
	val := func(label string, p *int64) {
		if p != nil {
			parts = append(parts, fmt.Sprintf("%s %d", label, *p))
			data[strings.ReplaceAll(label, " ", "_")] = *p
		}
	}
	val("queue depth", st.QueueDepth)
	val("queue capacity", st.QueueCapacity)
	val("backlog", st.Backlog)
	val("spool bytes", st.SpoolBytes)
	val("spool segments", st.SpoolSegments)
	val("dropped", st.Dropped)
	if len(parts) == 0 {
		return Result{Name: name, Status: Warn, Detail: "audit stats carry none of queue_depth, backlog, spool_bytes, spool_segments, dropped", Fix: "upgrade the edge"}
	}
	res := Result{Name: name, Status: Pass, Detail: strings.Join(parts, ", "), Data: data}
	switch {
	case st.Dropped != nil && *st.Dropped > 0:
		res.Status, res.Fix = Fail, "audit events were lost: the sinks were down longer than the spool could hold; restore the audit PostgreSQL and give the spool (/var/lib/ocomms) more room"
	case st.Backlog != nil && *st.Backlog > auditBacklogWarn:
		res.Status, res.Fix = Warn, "an audit sink is behind or down (events wait in the spool for it): check the audit PostgreSQL (see the postgres check) and the edge's log"
	case st.QueueDepth != nil && st.QueueCapacity != nil && *st.QueueCapacity > 0 && *st.QueueDepth*5 >= *st.QueueCapacity*4:
		res.Status, res.Fix = Warn, "the audit queue is over 80% full: the sink is slower than the event rate"
	}
	return res
}
