package auditlog

// pgRecordEvent returns the event the columns of a record are derived
// from: always decoded from Data, the hashed bytes, so that the indexed
// columns say what the chain says (Record.Event is not trusted over
// Data). Undecodable Data gives an empty event: the row is still stored.
func pgRecordEvent(r Record) *Event {
	ev, err := pgDecodeEvent(r.Data)
	if err != nil || ev == nil {
		return &Event{}
	}
	return ev
}

// pgDecodeEvent turns stored canonical bytes back into an Event.
func pgDecodeEvent(data []byte) (*Event, error) {
	ev, err := UnmarshalEvent(data)
	if err != nil {
		return nil, err
	}
	return &ev, nil
}
