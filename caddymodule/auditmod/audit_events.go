package auditmod

import (
	"context"
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"

	"github.com/ocomms/ocomms-edge/secevent"
)

// subscribeCertEvents records certmagic's cert_obtained (first issue or
// renewal) and cert_failed events, which Caddy's tls app bridges to the
// events app. Handlers run in certmagic's goroutine; Emit never blocks.
func subscribeCertEvents(ctx caddy.Context, em secevent.Emitter) error {
	v, err := ctx.App("events")
	if err != nil {
		return fmt.Errorf("loading the events app: %w", err)
	}
	events, ok := v.(*caddyevents.App)
	if !ok {
		return fmt.Errorf("the events app is %T", v)
	}
	h := certEventHandler{em: em}
	for _, name := range []string{"cert_obtained", "cert_failed"} {
		if err := events.On(name, h); err != nil {
			return fmt.Errorf("subscribing to %s: %w", name, err)
		}
	}
	return nil
}

// certEventHandler turns certificate events into audit events.
type certEventHandler struct{ em secevent.Emitter }

// Handle implements caddyevents.Handler.
func (h certEventHandler) Handle(_ context.Context, e caddy.Event) error {
	h.em.Emit(certAuditEvent(e.Name(), e.Data))
	return nil
}

// certAuditEvent maps a certmagic event's name and data to an audit event.
func certAuditEvent(name string, data map[string]any) secevent.Event {
	renewal, _ := data["renewal"].(bool)
	ev := secevent.Event{Labels: map[string]string{}}
	if id, ok := data["identifier"].(string); ok {
		ev.Labels["subjects"] = id
	}
	if issuer, ok := data["issuer"].(string); ok {
		ev.Labels["issuer"] = issuer
	}
	if issuers, ok := data["issuers"].([]string); ok {
		ev.Labels["issuer"] = strings.Join(issuers, ",")
	}
	switch {
	case name == "cert_failed":
		ev.Action, ev.Outcome = secevent.ActionCertFailed, secevent.OutcomeFailure
		ev.Reason = "obtain_failed"
		if renewal {
			ev.Reason = "renewal_failed"
		}
		if err, ok := data["error"].(error); ok && err != nil {
			msg := err.Error()
			if len(msg) > 300 {
				msg = msg[:300]
			}
			ev.Labels["error"] = msg
		}
	case renewal:
		ev.Action, ev.Outcome = secevent.ActionCertRenewed, secevent.OutcomeSuccess
	default:
		ev.Action, ev.Outcome = secevent.ActionCertObtained, secevent.OutcomeSuccess
	}
	return ev
}

// Interface guard
var _ caddyevents.Handler = certEventHandler{}
