package pipeline

import (
	"bytes"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// The spool's frame parser reads files a crash may have torn.
func FuzzParseFrame(f *testing.F) {
	recs := logtest.BuildRecords("edge-1", 2, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 1)
	f.Add(appendRecordFrame(nil, &recs[0]))
	f.Add(appendCheckpointFrame(nil, record.Checkpoint{Instance: "edge-1", Seq: 1, Time: recs[0].Time}))
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
			var r record.Record
			decodeRecordPayload(payload, &r)
			if !bytes.Equal(appendRecordFrame(nil, &r), b[:n]) {
				t.Fatal("record frame does not re-encode")
			}
		}
	})
}
