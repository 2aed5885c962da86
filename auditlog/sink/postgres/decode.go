package postgres

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// pgRecordEvent returns the event the columns of a record are derived
// from: Record.Event when the pipeline handed it (it is decoded from
// Data), else decoded from Data here. Undecodable Data gives an empty
// event: the row is still stored. ReadRecords derives the columns from
// Data again, so a Record.Event that disagreed with Data would show.
func pgRecordEvent(r record.Record) *secevent.Event {
	if r.Event != nil {
		return r.Event
	}
	ev, err := pgDecodeColumns(r.Data)
	if err != nil {
		return &secevent.Event{}
	}
	return ev
}

// pgDecodeEvent turns stored canonical bytes back into an Event.
func pgDecodeEvent(data []byte) (*secevent.Event, error) {
	ev, err := record.UnmarshalEvent(data)
	if err != nil {
		return nil, err
	}
	return &ev, nil
}

// pgColumnsDoc is the part of the canonical document (see ecsDoc) that
// the indexed columns come from; decoding only it is what keeps the
// chain read's column check cheap.
type pgColumnsDoc struct {
	Timestamp string `json:"@timestamp"`
	Event     struct {
		Action  string `json:"action"`
		ID      string `json:"id"`
		Outcome string `json:"outcome"`
	} `json:"event"`
	HTTP struct {
		Response struct {
			StatusCode int `json:"status_code"`
		} `json:"response"`
	} `json:"http"`
	Source struct {
		IP string `json:"ip"`
	} `json:"source"`
	User record.UserDoc `json:"user"`
}

// pgDecodeColumns decodes the column fields of data, sanitized as
// UnmarshalEvent would; the other fields are left empty.
func pgDecodeColumns(data []byte) (*secevent.Event, error) {
	var d pgColumnsDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	ev, err := pgColumnsEvent(d)
	if err != nil {
		return nil, err
	}
	return &ev, nil
}

// pgColumnsEvent is the event of a decoded pgColumnsDoc.
func pgColumnsEvent(d pgColumnsDoc) (secevent.Event, error) {
	if d.Event.Action == "" {
		return secevent.Event{}, errors.New("no event.action")
	}
	ts, err := time.Parse(time.RFC3339Nano, d.Timestamp)
	if err != nil {
		return secevent.Event{}, err
	}
	return record.Sanitize(secevent.Event{
		ID: d.Event.ID, Time: ts, Action: secevent.Action(d.Event.Action), Outcome: secevent.Outcome(d.Event.Outcome),
		UserID: d.User.ID, UserEmail: d.User.Email, UserName: d.User.Name,
		TargetUser: d.User.Target.ID, TargetEmail: d.User.Target.Email,
		SourceIP: d.Source.IP, Status: d.HTTP.Response.StatusCode,
	}), nil
}

// pgRecordColumns returns the event a record's columns are derived from
// (as pgRecordEvent, by value) and whether PostgreSQL's jsonb accepts its
// data (as pgJSONBAccepts), scanning data once when it can
// (pgScanColumnsJSONB) and with encoding/json when it cannot.
func pgRecordColumns(r record.Record) (secevent.Event, bool) {
	if r.Event != nil {
		return *r.Event, pgJSONBAccepts(r.Data)
	}
	// The read path: Event is nil, so the columns come from Data.
	d, jsonbOK, ok := pgScanColumnsJSONB(r.Data)
	if !ok {
		return *pgRecordEvent(r), pgJSONBAccepts(r.Data)
	}
	ev, err := pgColumnsEvent(d)
	if err != nil {
		return secevent.Event{}, jsonbOK
	}
	return ev, jsonbOK
}
