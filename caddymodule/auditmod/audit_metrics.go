package auditmod

import "github.com/prometheus/client_golang/prometheus"

// auditHubDropped counts events the edge's handlers emitted that no audit
// log took: the log was not running, or more than maxEarlyEvents arrived
// before it started. (Drops inside a running pipeline, e.g. a dead spool
// disk, are the pipeline's own and logged by it.)
var auditHubDropped = prometheus.NewCounter(prometheus.CounterOpts{
	Namespace: "ocomms",
	Subsystem: "audit",
	Name:      "events_dropped_total",
	Help:      "Audit events emitted while no audit log was running to take them.",
})
