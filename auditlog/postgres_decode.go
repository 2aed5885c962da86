package auditlog

import "encoding/json"

// pgRecordEvent returns the decoded event of a record: Record.Event when the
// pipeline set it, else decoded from Data.
func pgRecordEvent(r Record) *Event {
	if r.Event != nil {
		return r.Event
	}
	ev, err := pgDecodeEvent(r.Data)
	if err != nil || ev == nil {
		return &Event{}
	}
	return ev
}

// pgDecodeEvent turns stored canonical bytes back into an Event.
// Placeholder until the canonical encoding lands (auditcore): plain JSON.
var pgDecodeEvent = func(data []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}
