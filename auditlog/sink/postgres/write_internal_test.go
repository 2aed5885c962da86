package postgres

import (
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestPostgresColumnDecodeMatchesUnmarshalEvent: the cheap column decoder
// gives the same column values as the full decoder.
func TestPostgresColumnDecodeMatchesUnmarshalEvent(t *testing.T) {
	evs := []secevent.Event{
		pgTestEvent(1, pgT0), pgTestEvent(2, pgT0),
		{Action: secevent.ActionAdmin, Outcome: "weird", UserID: "u\xff1", UserEmail: "A@B.example", UserName: "n", TargetUser: "t",
			TargetEmail: "T@x.example", SourceIP: "::ffff:10.1.2.3", Status: 2000, ID: "id", Time: pgT0.Add(1500)},
	}
	for i, e := range evs {
		data := pgEncode(e)
		full, err := record.UnmarshalEvent(data)
		if err != nil {
			t.Fatal(err)
		}
		part, err := pgDecodeColumns(data)
		if err != nil {
			t.Fatal(err)
		}
		a, errA := toPGRow(record.Record{Seq: 1, Data: data, Event: &full})
		b, errB := toPGRow(record.Record{Seq: 1, Data: data, Event: part})
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !pgRowsEqual(a, b) {
			t.Fatalf("event %d: columns differ:\n%+v\n%+v", i, a, b)
		}
	}
}

func pgRowsEqual(a, b pgRow) bool {
	return a.eventID == b.eventID && a.ts.Equal(b.ts) && a.action == b.action && a.outcome == b.outcome &&
		pgEq(a.userID, b.userID) && pgEq(a.email, b.email) && pgEq(a.userName, b.userName) &&
		pgEq(a.tUser, b.tUser) && pgEq(a.tEmail, b.tEmail) && pgEqInt(a.status, b.status) &&
		((a.sourceIP == nil) == (b.sourceIP == nil)) && (a.sourceIP == nil || *a.sourceIP == *b.sourceIP)
}

func pgEq(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func pgEqInt(a, b *int32) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
