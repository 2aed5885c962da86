package auditlog

import "encoding/json"

// recordEvent returns the decoded event of a record: Record.Event when the
// pipeline set it, else decoded from Data.
func recordEvent(r Record) *Event {
	if r.Event != nil {
		return r.Event
	}
	ev, err := decodeStoredEvent(r.Data)
	if err != nil || ev == nil {
		return &Event{}
	}
	return ev
}

// decodeStoredEvent turns stored canonical bytes back into an Event.
// Placeholder until the canonical encoding lands (auditcore): plain JSON.
var decodeStoredEvent = func(data []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}
