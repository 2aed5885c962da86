package ratelimit

import (
	"net/http"
	"strings"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Event is the security event of a refused decision: the zones that
// refused it and the 429. The adapter adds the request's fields
// (secevent.FromRequest) and emits it; a body refusal is the Refusal's own
// event (reqbody.Refusal.Event).
func (d *Decision) Event() secevent.Event {
	var zones []string
	for i, z := range d.Zones {
		if !d.Outcomes[i].Allowed {
			zones = append(zones, z.Name)
		}
	}
	return secevent.Event{
		Action:  secevent.ActionRateLimited,
		Outcome: secevent.OutcomeFailure,
		Reason:  "RATE_LIMITED",
		Status:  http.StatusTooManyRequests,
		Labels:  map[string]string{"zone": strings.Join(zones, ",")},
	}
}
