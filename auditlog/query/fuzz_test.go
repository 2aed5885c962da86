package query

import (
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/secevent"
)

func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(logtest.GoldenEvent(secevent.ActionSignInFailed)))
	f.Add("")
	f.Add("MTIzOmE6Yjo0")
	f.Fuzz(func(t *testing.T, c string) {
		ts, inst, seq, err := DecodeCursor(c)
		if err != nil {
			return
		}
		e := secevent.Event{Time: ts, Instance: inst, Sequence: seq}
		ts2, inst2, seq2, err := DecodeCursor(EncodeCursor(e))
		if err != nil || !ts2.Equal(ts) || inst2 != inst || seq2 != seq {
			t.Fatalf("cursor round trip: %v", err)
		}
	})
}
