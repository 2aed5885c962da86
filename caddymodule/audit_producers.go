package caddymodule

import (
	"net/http"
	"strings"

	"github.com/ocomms/ocomms-edge/auditlog"
	"github.com/ocomms/ocomms-edge/headers"
	"github.com/ocomms/ocomms-edge/ratelimit"
)

// rateLimitedEvent is the audit event of a refused request: the zones that
// refused it, the client, the path (never the query) and the 429.
func rateLimitedEvent(r *http.Request, d *ratelimit.Decision) auditlog.Event {
	var zones []string
	for i, z := range d.Zones {
		if !d.Outcomes[i].Allowed {
			zones = append(zones, z.Name)
		}
	}
	return auditlog.Event{
		Action:    auditlog.ActionRateLimited,
		Outcome:   auditlog.OutcomeFailure,
		Reason:    "RATE_LIMITED",
		SourceIP:  clientIP(r),
		UserAgent: r.UserAgent(),
		Method:    r.Method,
		Path:      auditClip(r.URL.Path, 1024),
		Status:    http.StatusTooManyRequests,
		Labels:    map[string]string{"zone": strings.Join(zones, ",")},
	}
}

// cspViolationEvent is the audit event of one CSP report: the directive
// and the blocked and document URIs without their queries.
func cspViolationEvent(v headers.Violation, ip string) auditlog.Event {
	labels := map[string]string{"directive": v.EffectiveDirective}
	if u := auditlog.StripQuery(v.BlockedURL); u != "" {
		labels["blocked_uri"] = u
	}
	if u := auditlog.StripQuery(v.DocumentURL); u != "" {
		labels["document_uri"] = u
	}
	if v.Disposition != "" {
		labels["disposition"] = v.Disposition
	}
	return auditlog.Event{
		Action:    auditlog.ActionCSPViolation,
		Outcome:   auditlog.OutcomeUnknown,
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
