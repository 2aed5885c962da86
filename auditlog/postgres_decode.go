package auditlog

// pgRecordEvent returns the event the columns of a record are derived
// from: Record.Event when the pipeline handed it (it is decoded from
// Data), else decoded from Data here. Undecodable Data gives an empty
// event: the row is still stored. ReadRecords derives the columns from
// Data again, so a Record.Event that disagreed with Data would show.
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
func pgDecodeEvent(data []byte) (*Event, error) {
	ev, err := UnmarshalEvent(data)
	if err != nil {
		return nil, err
	}
	return &ev, nil
}
