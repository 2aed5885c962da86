package auditmod_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/caddymodule/auditmod"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/doctor"
	"github.com/ocomms/ocomms-edge/secevent"
)

// The running audit log's counters reach the admin API, Prometheus and
// `caddy ocomms doctor`, all read from the same pipeline.
func TestAuditStatsThroughAdminMetricsAndDoctor(t *testing.T) {
	e := startAuditEdge(t)
	e.exceedTight(t)
	modtest.WaitAudit(t, e.dir, 1, modtest.OfAction(secevent.ActionRateLimited))

	var st auditmod.AuditStatsJSON
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code := adminGet(t, e, "/ocomms/audit/stats", &st); code != http.StatusOK {
			t.Fatalf("GET /ocomms/audit/stats: %d", code)
		}
		if len(st.Sinks) > 0 && st.Backlog == 0 && st.Sinks[0].DeliveredSeq == st.DurableSeq || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// configuration_loaded and rate_limited at least, all delivered.
	if st.LastSeq < 2 || st.DurableSeq < 2 || st.QueueCapacity != pipeline.DefaultQueueSize || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
	var names []string
	for _, s := range st.Sinks {
		names = append(names, s.Name)
		if s.DeliveredSeq != st.DurableSeq || s.Lag != 0 {
			t.Errorf("sink %s not caught up: %+v (durable %d)", s.Name, s, st.DurableSeq)
		}
	}
	if !strings.Contains(strings.Join(names, ","), "jsonl") {
		t.Errorf("sinks %v: want the jsonl sink", names)
	}
	resp, err := http.Post("http://"+e.AdminAddr+"/ocomms/audit/stats", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /ocomms/audit/stats: %d, want 405", resp.StatusCode)
	}

	resp, err = http.Get("http://" + e.AdminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, series := range []string{"ocomms_audit_queue_depth ", "ocomms_audit_backlog ", "ocomms_audit_spool_bytes ", "ocomms_audit_dropped_total 0", `ocomms_audit_sink_lag{sink="jsonl"}`, `ocomms_audit_sink_errors_total{sink="jsonl"} 0`} {
		if !strings.Contains(string(raw), series) {
			t.Errorf("/metrics lacks %q", series)
		}
	}

	rep, err := doctor.Run(context.Background(), doctor.Options{URL: e.URL("/"), Admin: e.AdminAddr, Only: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rep.Checks {
		if c.Name == "audit queue" {
			found = true
			if c.Status != doctor.Pass || !strings.Contains(c.Detail, "backlog 0") {
				t.Errorf("doctor audit check: %+v", c)
			}
		}
	}
	if !found {
		t.Errorf("doctor ran no audit check: %+v", rep.Checks)
	}
}
