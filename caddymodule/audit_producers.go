package caddymodule

import (
	"net/http"
	"strings"

	"github.com/ocomms/ocomms-edge/adminaction"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/headers"
	"github.com/ocomms/ocomms-edge/ratelimit"
	"github.com/ocomms/ocomms-edge/reqbody"
	"github.com/ocomms/ocomms-edge/secevent"
)

// rateLimitedEvent is the audit event of a refused request: the zones that
// refused it, the client, the path (never the query) and the 429.
func rateLimitedEvent(r *http.Request, d *ratelimit.Decision) secevent.Event {
	var zones []string
	for i, z := range d.Zones {
		if !d.Outcomes[i].Allowed {
			zones = append(zones, z.Name)
		}
	}
	return secevent.Event{
		Action:    secevent.ActionRateLimited,
		Outcome:   secevent.OutcomeFailure,
		Reason:    "RATE_LIMITED",
		SourceIP:  modkit.ClientIP(r),
		UserAgent: r.UserAgent(),
		Method:    r.Method,
		Path:      auditClip(r.URL.Path, 1024),
		Status:    http.StatusTooManyRequests,
		Labels:    map[string]string{"zone": strings.Join(zones, ",")},
	}
}

// requestRefusedEvent is the audit event of a request the edge refused to
// forward because of its body (by: the handler that refused it): the
// refusal's code and reason, the client, the path; never the body.
func requestRefusedEvent(r *http.Request, ref *reqbody.Refusal, by string) secevent.Event {
	return secevent.Event{
		Action:    secevent.ActionRequestRefused,
		Outcome:   secevent.OutcomeFailure,
		Reason:    ref.Code,
		SourceIP:  modkit.ClientIP(r),
		UserAgent: auditClip(r.UserAgent(), 512),
		Method:    r.Method,
		Path:      auditClip(r.URL.Path, 1024),
		Status:    ref.Status,
		Labels:    map[string]string{"by": by, "refusal": ref.Reason},
	}
}

// cspViolationEvent is the audit event of one CSP report: the directive
// and the blocked and document URIs without their queries.
func cspViolationEvent(v headers.Violation, ip string) secevent.Event {
	labels := map[string]string{"directive": v.EffectiveDirective}
	if u := adminaction.StripQuery(v.BlockedURL); u != "" {
		labels["blocked_uri"] = u
	}
	if u := adminaction.StripQuery(v.DocumentURL); u != "" {
		labels["document_uri"] = u
	}
	if v.Disposition != "" {
		labels["disposition"] = v.Disposition
	}
	return secevent.Event{
		Action:    secevent.ActionCSPViolation,
		Outcome:   secevent.OutcomeUnknown,
		SourceIP:  ip,
		UserAgent: v.UserAgent,
		Labels:    labels,
	}
}

func auditClip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
