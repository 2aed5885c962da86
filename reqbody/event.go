package reqbody

import "github.com/ocomms/ocomms-edge/secevent"

// Event is the security event of this refusal, recorded by the handler
// that refused (by: "auth_guard", "rate_limit"): the refusal's code, reason
// and status; never the body. The handler adds the request's fields
// (secevent.FromRequest) and emits it.
func (ref *Refusal) Event(by string) secevent.Event {
	return secevent.Event{
		Action:  secevent.ActionRequestRefused,
		Outcome: secevent.OutcomeFailure,
		Reason:  ref.Code,
		Status:  ref.Status,
		Labels:  map[string]string{"by": by, "refusal": ref.Reason},
	}
}
