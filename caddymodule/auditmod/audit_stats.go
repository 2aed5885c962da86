package auditmod

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
)

// auditStatsJSON is the body of GET /ocomms/audit/stats, read by
// `caddy ocomms doctor` and by monitoring.
type auditStatsJSON struct {
	LastSeq       uint64           `json:"last_seq"`
	DurableSeq    uint64           `json:"durable_seq"`
	QueueDepth    int              `json:"queue_depth"`
	QueueCapacity int              `json:"queue_capacity"`
	Backlog       uint64           `json:"backlog"`
	SpoolBytes    int64            `json:"spool_bytes"`
	SpoolSegments int              `json:"spool_segments"`
	Dropped       uint64           `json:"dropped"`
	SpoolErrors   uint64           `json:"spool_errors"`
	Checkpoints   uint64           `json:"checkpoints"`
	Sinks         []auditSinkStats `json:"sinks"`
}

type auditSinkStats struct {
	Name         string `json:"name"`
	DeliveredSeq uint64 `json:"delivered_seq"`
	Lag          uint64 `json:"lag"`
	Errors       uint64 `json:"errors"`
	LastError    string `json:"last_error,omitempty"`
}

func statsJSON(st pipeline.Stats) auditStatsJSON {
	out := auditStatsJSON{
		LastSeq: st.LastSeq, DurableSeq: st.DurableSeq, QueueDepth: st.QueueDepth,
		QueueCapacity: st.QueueCapacity, Backlog: st.Backlog, SpoolBytes: st.SpoolBytes,
		SpoolSegments: st.SpoolSegments, Dropped: st.Dropped, SpoolErrors: st.SpoolErrors,
		Checkpoints: st.Checkpoints, Sinks: []auditSinkStats{},
	}
	for _, s := range st.Sinks {
		out.Sinks = append(out.Sinks, auditSinkStats{Name: s.Name, DeliveredSeq: s.DeliveredSeq, Lag: s.Lag, Errors: s.Errors, LastError: s.LastError})
	}
	return out
}

func auditAdminStats(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed", r.Method)}
	}
	p := activeAudit()
	if p == nil {
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errors.New("the audit log is not running")}
	}
	return writeAuditJSON(w, statsJSON(p.backend.Stats()))
}

// auditStatsCollector exports the running audit log's counters at scrape
// time (no per-event work): queue, backlog and spool gauges, and drops and
// sink errors as counters. Labels are sink names only.
type auditStatsCollector struct{}

var (
	auditQueueDepthDesc = prometheus.NewDesc("ocomms_audit_queue_depth", "Audit events waiting in memory for the next spool write.", nil, nil)
	auditBacklogDesc    = prometheus.NewDesc("ocomms_audit_backlog", "Durable audit events the slowest sink has not acknowledged yet.", nil, nil)
	auditSpoolBytesDesc = prometheus.NewDesc("ocomms_audit_spool_bytes", "Size of the audit spool on disk.", nil, nil)
	auditDroppedDesc    = prometheus.NewDesc("ocomms_audit_dropped_total", "Audit events the pipeline refused (closed, or the spool disk failed).", nil, nil)
	auditSinkErrorsDesc = prometheus.NewDesc("ocomms_audit_sink_errors_total", "Failed audit sink writes (each is retried).", []string{"sink"}, nil)
	auditSinkLagDesc    = prometheus.NewDesc("ocomms_audit_sink_lag", "Durable audit events a sink has not acknowledged yet.", []string{"sink"}, nil)
)

// Describe implements prometheus.Collector.
func (auditStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{auditQueueDepthDesc, auditBacklogDesc, auditSpoolBytesDesc, auditDroppedDesc, auditSinkErrorsDesc, auditSinkLagDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (auditStatsCollector) Collect(ch chan<- prometheus.Metric) {
	p := activeAudit()
	if p == nil {
		return
	}
	st := p.backend.Stats()
	ch <- prometheus.MustNewConstMetric(auditQueueDepthDesc, prometheus.GaugeValue, float64(st.QueueDepth))
	ch <- prometheus.MustNewConstMetric(auditBacklogDesc, prometheus.GaugeValue, float64(st.Backlog))
	ch <- prometheus.MustNewConstMetric(auditSpoolBytesDesc, prometheus.GaugeValue, float64(st.SpoolBytes))
	ch <- prometheus.MustNewConstMetric(auditDroppedDesc, prometheus.CounterValue, float64(st.Dropped))
	for _, s := range st.Sinks {
		ch <- prometheus.MustNewConstMetric(auditSinkErrorsDesc, prometheus.CounterValue, float64(s.Errors), s.Name)
		ch <- prometheus.MustNewConstMetric(auditSinkLagDesc, prometheus.GaugeValue, float64(s.Lag), s.Name)
	}
}
