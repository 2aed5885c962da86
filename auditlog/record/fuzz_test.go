package record_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

func FuzzUnmarshalEvent(f *testing.F) {
	for _, a := range secevent.Actions() {
		if data, err := record.MarshalEvent(logtest.GoldenEvent(a)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"@timestamp":"2026-12-01T00:00:00Z","event":{"action":"x","sequence":1},"labels":{"a":"\u0000"}}`))
	f.Add([]byte(`{"@timestamp":"2026-12-01T00:00:00.123456789+02:00","event":{"action":"sign_in_failed"},"user":{"email":"ÉVE@EXAMPLE.COM"},"url":{"path":"/a?token=x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := record.UnmarshalEvent(data)
		if err != nil {
			return
		}
		out, err := record.MarshalEvent(e)
		if err != nil {
			t.Fatalf("decoded event does not encode: %v (%+v)", err, e)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		back, err := record.UnmarshalEvent(out)
		if err != nil {
			t.Fatalf("own encoding does not decode: %v: %q", err, out)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip differs:\n%+v\n%+v", back, e)
		}
		again, _ := record.MarshalEvent(back)
		if !bytes.Equal(again, out) {
			t.Fatalf("encoding not stable:\n%q\n%q", out, again)
		}
	})
}
