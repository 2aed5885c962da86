package query

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/secevent"
)

func TestWriteEvents(t *testing.T) {
	e := logtest.GoldenEvent(secevent.ActionSignInFailed)
	e.UserAgent = "evil\n2026-01-01 00:00:00.000  forged  row"
	e.Reason = "BAD\tREASON"
	var b bytes.Buffer
	if err := WriteEvents(&b, []secevent.Event{e, logtest.GoldenEvent(secevent.ActionCertRenewed)}, FormatTable); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "sign_in_failed") || !strings.Contains(lines[1], `"BAD\tREASON"`) || !strings.Contains(lines[1], "user7@example.com") {
		t.Fatalf("table:\n%s", b.String())
	}
	for _, f := range []string{FormatECS, FormatOCSF} {
		b.Reset()
		if err := WriteEvents(&b, []secevent.Event{e}, f); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b.Bytes(), &m); err != nil || strings.Count(b.String(), "\n") != 1 {
			t.Fatalf("%s: %v %q", f, err, b.String())
		}
		if f == FormatOCSF && m["class_uid"] != float64(3002) {
			t.Fatalf("ocsf line %v", m)
		}
	}
	if err := WriteEvents(&b, nil, "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestWriteReport(t *testing.T) {
	var b bytes.Buffer
	ok := chain.Report{Records: 3, Checkpoints: 1, Instances: []chain.InstanceReport{{Instance: "edge-1", Records: 3, First: 1, Last: 3, Checkpoints: 1, Anchored: 3}}}
	if err := WriteReport(&b, ok); err != nil || !strings.Contains(b.String(), "verified: no tampering found") {
		t.Fatalf("%v %s", err, b.String())
	}
	b.Reset()
	bad := ok
	bad.Instances = []chain.InstanceReport{{Instance: "edge-1", Records: 3, FirstBad: 2, Kind: chain.TamperHash, Detail: "x"}}
	bad.Problems = []chain.Problem{{Instance: "edge-1", Seq: 2, Kind: chain.TamperHash}}
	if err := WriteReport(&b, bad); err != nil || !strings.Contains(b.String(), "TAMPERED at seq 2: hash_mismatch") || !strings.Contains(b.String(), "NOT VERIFIED") {
		t.Fatalf("%v %s", err, b.String())
	}
	b.Reset()
	if err := WritePivots(&b, "account", []Pivot{{Value: "a@example.com", Events: 3, Failures: 2}}); err != nil || !strings.Contains(b.String(), "a@example.com") {
		t.Fatalf("%v %s", err, b.String())
	}
}
