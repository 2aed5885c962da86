package jsonl

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

func FuzzJSONLLine(f *testing.F) {
	recs := logtest.BuildRecords("edge-1", 3, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 1)
	for i := range recs {
		f.Add(bytes.TrimSuffix(appendRecordLine(nil, &recs[i]), []byte("\n")))
	}
	key := logtest.TestKey(f)
	cp := chain.Sign(record.Checkpoint{Instance: "edge-1", Seq: 3, Hash: recs[2].Hash, Time: recs[2].Time}, key)
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
			if err != nil || k2 != lineCheckpoint || !reflect.DeepEqual(logtest.NormCP(cp), logtest.NormCP(cp2)) {
				t.Fatalf("checkpoint round trip: %v\n%+v\n%+v", err, cp, cp2)
			}
		default:
			t.Fatalf("kind %d without error", k)
		}
	})
}
