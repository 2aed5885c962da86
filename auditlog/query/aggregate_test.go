package query

import (
	"reflect"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Rows lists the pivots with the most events first and, among equals, by
// value; each counts its failures and spans its first to last event.
func TestAggregateRows(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	a := Aggregate{}
	for i, v := range []string{"b", "c", "a", "c", "b", "d", "c"} {
		e := secevent.Event{Time: t0.Add(time.Duration(i) * time.Minute), Outcome: secevent.OutcomeSuccess}
		if i%2 == 0 {
			e.Outcome = secevent.OutcomeFailure
		}
		a.Add(v, &e)
	}
	want := []Pivot{
		{Value: "c", Events: 3, Failures: 1, First: t0.Add(time.Minute), Last: t0.Add(6 * time.Minute)},
		{Value: "b", Events: 2, Failures: 2, First: t0, Last: t0.Add(4 * time.Minute)},
		{Value: "a", Events: 1, Failures: 1, First: t0.Add(2 * time.Minute), Last: t0.Add(2 * time.Minute)},
		{Value: "d", Events: 1, Failures: 0, First: t0.Add(5 * time.Minute), Last: t0.Add(5 * time.Minute)},
	}
	if got := a.Rows(); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows\n%+v\nwant\n%+v", got, want)
	}
}
