package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog"
)

// readAuditEvents decodes every complete record line of the audit JSONL
// files in dir, without opening the store (an edge may still be writing).
func readAuditEvents(t *testing.T, dir string) []auditlog.Event {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	var out []auditlog.Event
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec struct {
				Doc json.RawMessage `json:"doc"`
			}
			if !bytes.HasPrefix(sc.Bytes(), []byte(`{"instance":`)) || json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			e, err := auditlog.UnmarshalEvent(rec.Doc)
			if err != nil {
				t.Fatalf("stored record undecodable: %v", err)
			}
			out = append(out, e)
		}
	}
	return out
}

// waitAuditAction waits up to timeout for n events of action in dir.
func waitAuditAction(t *testing.T, dir string, action auditlog.Action, n int, timeout time.Duration) []auditlog.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got []auditlog.Event
		for _, e := range readAuditEvents(t, dir) {
			if e.Action == action {
				got = append(got, e)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s events after %s, want %d", len(got), action, timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
