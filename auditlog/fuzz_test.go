package auditlog

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
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

func FuzzJSONLLine(f *testing.F) {
	recs := buildRecords("edge-1", 3, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 1)
	for i := range recs {
		f.Add(bytes.TrimSuffix(appendRecordLine(nil, &recs[i]), []byte("\n")))
	}
	key := testKey(f)
	cp := Sign(Checkpoint{Instance: "edge-1", Seq: 3, Hash: recs[2].Hash, Time: recs[2].Time}, key)
	f.Add(bytes.TrimSuffix(appendCheckpointLine(nil, cp), []byte("\n")))
	f.Add([]byte(`{"instance":"a","seq":01,"prev":"","hash":"","doc":{}}`))
	f.Add([]byte(`{"checkpoint":{"seq":-1}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		k, r, cp, err := parseLine(line)
		if err != nil {
			return
		}
		switch k {
		case lineRecord:
			// The record format is canonical: re-encoding gives the line.
			out := appendRecordLine(nil, &r)
			if !bytes.Equal(bytes.TrimSuffix(out, []byte("\n")), line) {
				t.Fatalf("record line not canonical:\n%q\n%q", line, out)
			}
		case lineCheckpoint:
			out := appendCheckpointLine(nil, cp)
			k2, _, cp2, err := parseLine(bytes.TrimSuffix(out, []byte("\n")))
			if err != nil || k2 != lineCheckpoint || !reflect.DeepEqual(normCP(cp), normCP(cp2)) {
				t.Fatalf("checkpoint round trip: %v\n%+v\n%+v", err, cp, cp2)
			}
		default:
			t.Fatalf("kind %d without error", k)
		}
	})
}

// normCP compares checkpoints by what is signed and stored.
func normCP(cp Checkpoint) Checkpoint {
	cp.Time = cp.Time.UTC().Truncate(time.Microsecond)
	cp.Instance = clean(cp.Instance, maxShort)
	if len(cp.PublicKey) == 0 {
		cp.PublicKey = nil
	}
	if len(cp.Signature) == 0 {
		cp.Signature = nil
	}
	return cp
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(goldenEvent(ActionSignInFailed)))
	f.Add("")
	f.Add("MTIzOmE6Yjo0")
	f.Fuzz(func(t *testing.T, c string) {
		ts, inst, seq, err := DecodeCursor(c)
		if err != nil {
			return
		}
		e := Event{Time: ts, Instance: inst, Sequence: seq}
		ts2, inst2, seq2, err := DecodeCursor(EncodeCursor(e))
		if err != nil || !ts2.Equal(ts) || inst2 != inst || seq2 != seq {
			t.Fatalf("cursor round trip: %v", err)
		}
	})
}

// The spool's frame parser reads files a crash may have torn.
func FuzzParseFrame(f *testing.F) {
	recs := buildRecords("edge-1", 2, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 1)
	f.Add(appendRecordFrame(nil, &recs[0]))
	f.Add(appendCheckpointFrame(nil, Checkpoint{Instance: "edge-1", Seq: 1, Time: recs[0].Time}))
	f.Add([]byte{'R', 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, payload, n, err := parseFrame(b)
		if err != nil {
			return
		}
		if n > len(b) || len(payload) != n-frameHeader {
			t.Fatalf("frame length %d of %d bytes", n, len(b))
		}
		if typ == frameRecord {
			var r Record
			decodeRecordPayload(payload, &r)
			if !bytes.Equal(appendRecordFrame(nil, &r), b[:n]) {
				t.Fatal("record frame does not re-encode")
			}
		}
	})
}

// The verify CLI reads Caddy's log file for checkpoints.
func FuzzReadZapCheckpoints(f *testing.F) {
	f.Add([]byte(`{"level":"info","logger":"ocomms.audit","msg":"audit_checkpoint","observer.name":"edge-1","audit.checkpoint.seq":3,"audit.checkpoint.hash":"` + strings.Repeat("ab", 32) + `","audit.checkpoint.prev":"` + strings.Repeat("00", 32) + `","audit.checkpoint.time":"2026-12-01T00:00:00.000000Z","audit.checkpoint.retention":false,"audit.checkpoint.public_key":"AA==","audit.checkpoint.signature":"AA=="}` + "\n"))
	f.Add([]byte("not json\n{\"msg\":\"audit_checkpoint\",\"audit.checkpoint.signature\":\"x\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cps, err := ReadZapCheckpoints(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, cp := range cps {
			if len(cp.Signature) == 0 {
				t.Fatal("a checkpoint without signature was returned")
			}
		}
	})
}
