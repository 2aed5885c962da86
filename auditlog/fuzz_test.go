package auditlog

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzUnmarshalEvent(f *testing.F) {
	for _, a := range Actions() {
		if data, err := MarshalEvent(goldenEvent(a)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"@timestamp":"2026-12-01T00:00:00Z","event":{"action":"x","sequence":1},"labels":{"a":"\u0000"}}`))
	f.Add([]byte(`{"@timestamp":"2026-12-01T00:00:00.123456789+02:00","event":{"action":"sign_in_failed"},"user":{"email":"ÉVE@EXAMPLE.COM"},"url":{"path":"/a?token=x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := UnmarshalEvent(data)
		if err != nil {
			return
		}
		out, err := MarshalEvent(e)
		if err != nil {
			t.Fatalf("decoded event does not encode: %v (%+v)", err, e)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		back, err := UnmarshalEvent(out)
		if err != nil {
			t.Fatalf("own encoding does not decode: %v: %q", err, out)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip differs:\n%+v\n%+v", back, e)
		}
		again, _ := MarshalEvent(back)
		if !bytes.Equal(again, out) {
			t.Fatalf("encoding not stable:\n%q\n%q", out, again)
		}
	})
}
