package consolemod

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddytls"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/caddymodule/auditmod"
	"github.com/ocomms/ocomms-edge/caddymodule/guardmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/console"
	"github.com/ocomms/ocomms-edge/doctor"
)

// The console's backends, over what the running edge has now: the
// lockout engines of ocomms_auth_guard (guardmod.Engines()), the audit log's
// store (activeAudit()), the shared Redis clients and Caddy's certificate
// cache. Each is looked up per request, so reloads need nothing.

// consoleLockouts is console.Lockouts over every running engine (they
// share their store; lists are merged by key).
type consoleLockouts struct{}

// accountKeyer is an engine that tells an email's key.
type accountKeyer interface{ AccountKey(email string) string }

func (consoleLockouts) List(ctx context.Context) ([]console.Lockout, error) {
	es := guardmod.Engines()
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: %v", console.ErrUnavailable, guardmod.ErrNoGuard)
	}
	byKey := map[string]console.Lockout{}
	for _, e := range es {
		list, err := e.List(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing lockouts: %w", err)
		}
		for _, le := range list {
			byKey[le.Key] = console.Lockout{Key: le.Key, Failures: le.Failures, LockedUntil: le.LockedUntil, HardLocked: le.HardLocked, LastFailure: le.LastFailure,
				Devices: le.Devices, DevicesLocked: le.DevicesLocked, DevicesDistrusted: le.DevicesDistrusted}
		}
	}
	out := make([]console.Lockout, 0, len(byKey))
	for _, l := range byKey {
		out = append(out, l)
	}
	return out, nil
}

func (consoleLockouts) AccountKey(email string) string {
	for _, e := range guardmod.Engines() {
		if k, ok := e.(accountKeyer); ok {
			return k.AccountKey(email)
		}
	}
	return ""
}

func (consoleLockouts) UnlockKey(ctx context.Context, key string) (bool, error) {
	es := guardmod.Engines()
	if len(es) == 0 {
		return false, fmt.Errorf("%w: %v", console.ErrUnavailable, guardmod.ErrNoGuard)
	}
	had := false
	for _, e := range es {
		ku, ok := e.(guardmod.KeyUnlocker)
		if !ok {
			return false, errors.New("this lockout engine unlocks by email only")
		}
		h, err := ku.UnlockKey(ctx, key)
		if err != nil {
			return had, err
		}
		had = had || h
	}
	return had, nil
}

// consoleEvents is console.Events over the audit log's store.
type consoleEvents struct{}

func (consoleEvents) Query(ctx context.Context, f console.EventFilter) (console.EventPage, error) {
	st, ok := auditmod.ActiveStore()
	if !ok || st.Querier == nil {
		return console.EventPage{}, fmt.Errorf("%w: the audit log cannot answer queries", console.ErrUnavailable)
	}
	return st.Querier.Query(ctx, f)
}

// consoleVerifier is console.Verifier over this edge's own chain.
type consoleVerifier struct{}

func (consoleVerifier) Verify(ctx context.Context) (console.VerifyResult, error) {
	st, ok := auditmod.ActiveStore()
	if !ok || st.Chain == nil {
		return console.VerifyResult{}, fmt.Errorf("%w: this store cannot be verified", console.ErrUnavailable)
	}
	res, err := setup.Verify(ctx, st.Chain, st.OwnChain())
	if err != nil {
		return console.VerifyResult{}, err
	}
	out := console.VerifyResult{OK: res.OK, Records: int64(res.Records), Checkpoints: int64(res.Checkpoints), Problem: res.Problem}
	cps, err := st.Chain.ReadCheckpoints(ctx)
	if err != nil {
		return out, fmt.Errorf("reading checkpoints: %w", err)
	}
	for _, cp := range cps {
		if cp.Instance == st.Instance && cp.Time.After(out.LastCheckpoint) {
			out.LastCheckpoint = cp.Time
		}
	}
	return out, nil
}

// consoleHealth is console.Health: the audit pipeline and its sinks
// (PostgreSQL among them), the shared Redis clients, the lockout, and the
// certificates of the asked hosts.
type consoleHealth struct{}

// consoleBacklogWarn matches the doctor's audit backlog threshold.
const consoleBacklogWarn = 10000

func (consoleHealth) Health(ctx context.Context, hosts []string) (console.HealthReport, error) {
	var rep console.HealthReport
	rep.Findings = append(rep.Findings, auditFindings()...)
	rep.Findings = append(rep.Findings, redisFindings(ctx)...)
	n := len(guardmod.Engines())
	lf := console.Finding{Area: "lockout", Name: "engines", Status: console.StatusOK, Detail: fmt.Sprintf("%d ocomms_auth_guard lockout(s) running", n)}
	if n == 0 {
		lf.Status, lf.Detail = console.StatusOff, "no ocomms_auth_guard with a lockout"
	}
	rep.Findings = append(rep.Findings, lf)
	rep.Certificates = certificatesFor(hosts)
	return rep, nil
}

func auditFindings() []console.Finding {
	st, ok := auditmod.ActiveStats()
	if !ok {
		return []console.Finding{{Area: "audit", Name: "pipeline", Status: console.StatusOff, Detail: "the audit log is not running"}}
	}
	pf := console.Finding{Area: "audit", Name: "spool", Status: console.StatusOK,
		Detail: fmt.Sprintf("queue %d/%d, spool %d segment(s) %d bytes, backlog %d, dropped %d", st.QueueDepth, st.QueueCapacity, st.SpoolSegments, st.SpoolBytes, st.Backlog, st.Dropped)}
	if st.Backlog > consoleBacklogWarn || st.SpoolErrors > 0 {
		pf.Status = console.StatusWarn
	}
	if st.Dropped > 0 {
		pf.Status = console.StatusFail
	}
	out := []console.Finding{pf}
	for _, s := range st.Sinks {
		f := console.Finding{Area: "audit", Name: "sink " + s.Name, Status: console.StatusOK, Detail: fmt.Sprintf("lag %d, write errors %d", s.Lag, s.Errors)}
		if s.Name == "postgres" {
			f.Area, f.Name = "postgres", "audit sink"
		}
		if s.LastError != "" && s.Lag > 0 {
			// Failing now: its error text may name the server, so it
			// stays in the edge's log.
			f.Status, f.Detail = console.StatusFail, f.Detail+"; not delivering (see the edge's log)"
		} else if s.Lag > consoleBacklogWarn {
			f.Status = console.StatusWarn
		}
		out = append(out, f)
	}
	return out
}

// redisFindings pings every shared Redis client once.
func redisFindings(ctx context.Context) []console.Finding {
	clients := modkit.RedisClientsInUse()
	if len(clients) == 0 {
		return []console.Finding{{Area: "redis", Name: "clients", Status: console.StatusOff, Detail: "no module uses Redis"}}
	}
	out := make([]console.Finding, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			f := console.Finding{Area: "redis", Name: redisName(c), Status: console.StatusOK, Detail: "answers PING"}
			if err := c.Ping(pctx).Err(); err != nil {
				f.Status, f.Detail = console.StatusFail, "unreachable (modules use their local fallback; see the edge's log)"
			}
			out[i] = f
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return append(out, breakerFinding())
}

// breakerFinding is the rate limiter's circuit breaker over Redis, as the
// ocomms_rate_limit_store_fallback gauge has it (1 while open).
func breakerFinding() console.Finding {
	f := console.Finding{Area: "redis", Name: "rate limit breaker", Status: console.StatusOK, Detail: "closed: zones share their counts in Redis"}
	var m dto.Metric
	if err := modkit.RateLimitStoreFallback.Write(&m); err != nil || m.GetGauge() == nil {
		f.Status, f.Detail = console.StatusWarn, "state unknown"
	} else if m.GetGauge().GetValue() > 0 {
		f.Status, f.Detail = console.StatusFail, "open: Redis fails, zones follow on_store_error"
	}
	return f
}

// redisName is a client's address(es), never its password.
func redisName(c redis.UniversalClient) string {
	switch cl := c.(type) {
	case *redis.Client:
		return cl.Options().Addr
	case *redis.ClusterClient:
		return strings.Join(cl.Options().Addrs, ",")
	}
	return "redis"
}

// renewalRatio is certmagic's default renewal window: a certificate is
// renewed in the last third of its lifetime (unless ARI says otherwise).
const renewalRatio = 1.0 / 3

// certificatesFor lists the cached certificates serving hosts.
func certificatesFor(hosts []string) []console.Certificate {
	seen := map[string]bool{}
	out := []console.Certificate{}
	for _, h := range hosts {
		for _, c := range caddytls.AllMatchingCertificates(h) {
			if c.Leaf == nil || seen[c.Hash()] {
				continue
			}
			seen[c.Hash()] = true
			life := c.Leaf.NotAfter.Sub(c.Leaf.NotBefore)
			out = append(out, console.Certificate{
				Subjects: c.Names, Issuer: c.Leaf.Issuer.CommonName, NotAfter: c.Leaf.NotAfter.UTC(),
				RenewAt: c.Leaf.NotAfter.Add(-time.Duration(float64(life) * renewalRatio)).UTC(),
			})
		}
	}
	return out
}

// consoleDoctor is console.Doctor: the doctor's site and admin checks,
// run from inside the edge against itself (the site's name resolved to
// 127.0.0.1).
type consoleDoctor struct {
	url   string // the site to check; "" is the console's own origin
	admin string
}

// doctorGroups are the checks that need no database or Redis URL (the
// health panel covers those stores).
var doctorGroups = []string{"headers", "tls", "admin", "unlock", "two-factor", "access"}

var doctorStatus = map[doctor.Status]console.Status{
	doctor.Pass: console.StatusOK, doctor.Warn: console.StatusWarn, doctor.Fail: console.StatusFail, doctor.Skip: console.StatusOff,
}

func (d consoleDoctor) Run(ctx context.Context, site string) ([]console.Finding, error) {
	if d.url != "" {
		site = d.url
	}
	rep, err := doctor.Run(ctx, doctor.Options{URL: site, Admin: d.admin, Resolve: "127.0.0.1", Only: doctorGroups, Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	out := make([]console.Finding, 0, len(rep.Checks))
	for _, c := range rep.Checks {
		detail := c.Detail
		if c.Fix != "" {
			detail += " — fix: " + c.Fix
		}
		out = append(out, console.Finding{Area: "doctor", Name: c.Name, Status: doctorStatus[c.Status], Detail: detail})
	}
	return out, nil
}
