package pipeline

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest/observer"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/sink/zapsink"
	"github.com/ocomms/ocomms-edge/secevent"
)

// One event read back from the zap log and from the JSONL file is the
// same, field by field.
func TestSameEventInZapAndJSONL(t *testing.T) {
	zs, logs, jl, dir := zapAndJSONL(t)
	p := newTestPipeline(t, t.TempDir(), logtest.TestKey(t), zs, jl)
	e := logtest.SampleEvent(secevent.ActionAdmin, 3)
	e.UserName, e.TargetEmail, e.Reason = "Ada Admin", "victim@example.com", "ban"
	e.Labels["device_trusted"] = "false"
	p.Emit(e)
	p.Emit(logtest.SampleEvent(secevent.ActionSignOut, 1))
	mustClose(t, p)
	jr := openJSONL(t, dir)
	page, err := jr.Query(context.Background(), query.Filter{Actions: []secevent.Action{secevent.ActionAdmin}})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("jsonl: %v %+v", err, page)
	}
	fromFile := page.Events[0]
	var entry *observer.LoggedEntry
	for _, le := range logs.All() {
		if le.ContextMap()[secevent.FieldEventID] == fromFile.ID {
			le := le
			entry = &le
		}
	}
	if entry == nil {
		t.Fatal("event not in the zap log")
	}
	if entry.LoggerName != zapsink.ZapLoggerName {
		t.Fatalf("logger %q", entry.LoggerName)
	}
	fromZap := eventFromZap(t, entry.ContextMap())
	if !reflect.DeepEqual(fromZap, fromFile) {
		t.Fatalf("zap and JSONL differ:\n zap   %+v\n jsonl %+v", fromZap, fromFile)
	}
	if fromFile.UserName != "Ada Admin" || fromFile.TargetEmail != "victim@example.com" || fromFile.Sequence != 1 {
		t.Fatalf("fields lost: %+v", fromFile)
	}
}

// eventFromZap rebuilds an Event from the zap sink's fields.
func eventFromZap(t *testing.T, m map[string]any) secevent.Event {
	t.Helper()
	s := func(k string) string { v, _ := m[k].(string); return v }
	ts, err := time.Parse(time.RFC3339Nano, s(secevent.FieldTimestamp))
	if err != nil {
		t.Fatal(err)
	}
	e := secevent.Event{
		ID: s(secevent.FieldEventID), Time: ts, Action: secevent.Action(s(secevent.FieldEventAction)), Outcome: secevent.Outcome(s(secevent.FieldEventOutcome)),
		Reason: s(secevent.FieldEventReason), UserID: s(secevent.FieldUserID), UserEmail: s(secevent.FieldUserEmail), UserName: s(secevent.FieldUserName),
		TargetUser: s(secevent.FieldUserTargetID), TargetEmail: s(secevent.FieldUserTargetEmail), SourceIP: s(secevent.FieldSourceIP),
		UserAgent: s(secevent.FieldUserAgent), Method: s(secevent.FieldHTTPMethod), Path: s(secevent.FieldURLPath),
		Instance: s(secevent.FieldObserverName),
	}
	if v, ok := m[secevent.FieldHTTPStatus].(int64); ok {
		e.Status = int(v)
	}
	if v, ok := m[secevent.FieldEventSequence].(uint64); ok {
		e.Sequence = v
	}
	for k, v := range m {
		if strings.HasPrefix(k, "labels.") {
			if e.Labels == nil {
				e.Labels = map[string]string{}
			}
			e.Labels[strings.TrimPrefix(k, "labels.")] = v.(string)
		}
	}
	return e
}
