package headers

import "github.com/ocomms/ocomms-edge/secevent"

// Event is the security event of one CSP report, from the client at ip:
// the directive, the disposition and the blocked and document URIs without
// their queries.
func (v Violation) Event(ip string) secevent.Event {
	labels := map[string]string{"directive": v.EffectiveDirective}
	if u := secevent.StripQuery(v.BlockedURL); u != "" {
		labels["blocked_uri"] = u
	}
	if u := secevent.StripQuery(v.DocumentURL); u != "" {
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
