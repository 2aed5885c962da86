package reqbody

import (
	"testing"

	"github.com/ocomms/ocomms-edge/secevent"
)

func TestRefusalEvent(t *testing.T) {
	ref := &Refusal{Status: 415, Code: "UNSUPPORTED_MEDIA_TYPE", Reason: "media_type"}
	e := ref.Event("rate_limit")
	if e.Action != secevent.ActionRequestRefused || e.Outcome != secevent.OutcomeFailure ||
		e.Reason != "UNSUPPORTED_MEDIA_TYPE" || e.Status != 415 ||
		e.Labels["by"] != "rate_limit" || e.Labels["refusal"] != "media_type" || len(e.Labels) != 2 {
		t.Fatalf("%+v", e)
	}
}
