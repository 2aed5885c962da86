// Package audittest reads what an edge under test wrote to its audit JSONL
// files: the events (now, or once they have come) and the checkpoint
// verification key. It is separate from edgetest, which auditlog's own
// tests import; it must not import Caddy.
package audittest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// ReadAuditEvents decodes every complete record line of the audit JSONL
// files (audit-*.jsonl) in dir without opening the store, so an edge may
// still be writing them: a line cut short is skipped, a complete record
// that does not decode fails the test.
func ReadAuditEvents(t testing.TB, dir string) []secevent.Event {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	var out []secevent.Event
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			var rec struct {
				Doc json.RawMessage `json:"doc"`
			}
			if !bytes.HasPrefix(line, []byte(`{"instance":`)) || json.Unmarshal(line, &rec) != nil {
				continue // a checkpoint line, or one still being written
			}
			e, err := record.UnmarshalEvent(rec.Doc)
			if err != nil {
				t.Fatalf("stored record undecodable: %v\n%s", err, line)
			}
			out = append(out, e)
		}
	}
	return out
}

// OnlyDayFile returns the path and content of the one audit JSONL day
// file (audit-*.jsonl) in dir, for a test that edits it; it fails the
// test unless there is exactly one.
func OnlyDayFile(t testing.TB, dir string) (string, []byte) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("day files %v, want one", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return files[0], data
}
