package record_test

import (
	"encoding/json"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// flatKeys lists the dotted leaf keys of a JSON document; labels count as
// one field (their keys are the producer's).
func flatKeys(prefix string, m map[string]any, out *[]string) {
	for k, v := range m {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && name != secevent.FieldLabels {
			flatKeys(name, sub, out)
			continue
		}
		*out = append(*out, name)
	}
}

// TestCanonicalFieldsAreSecevent: the canonical encoding writes exactly the
// field names secevent defines, so no encoder spells a name of its own.
func TestCanonicalFieldsAreSecevent(t *testing.T) {
	e := secevent.Event{
		ID: "7f1c4c36-3b0a-4c4e-9c1e-0d6f4f3b2a10", Time: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		Action: secevent.ActionAdmin, Outcome: secevent.OutcomeSuccess, Reason: "r",
		UserID: "u1", UserEmail: "a@example.com", UserName: "A", TargetUser: "u2", TargetEmail: "b@example.com",
		SourceIP: "203.0.113.7", UserAgent: "ua", Method: "POST", Path: "/api/admin", Status: 200,
		Labels: map[string]string{"resource": "admin.x"}, Instance: "edge-1", Sequence: 9,
	}
	data, err := record.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	flatKeys("", doc, &got)
	sort.Strings(got)
	want := slices.Clone(secevent.Fields())
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("canonical encoding writes %v\nsecevent.Fields is %v", got, want)
	}
}
