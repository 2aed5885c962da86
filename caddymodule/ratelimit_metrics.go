package caddymodule

import "github.com/prometheus/client_golang/prometheus"

// Collectors are built once and registered with each config's registry,
// so they keep counting across reloads. Labels are bounded: zone names
// come from the config, outcomes from a fixed set; never a client key.
var (
	rateLimitDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ocomms",
		Subsystem: "rate_limit",
		Name:      "requests_total",
		Help:      "Requests decided by a rate-limit zone, by zone and outcome (allowed, denied).",
	}, []string{"zone", "outcome"})
	rateLimitStoreStateChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ocomms",
		Subsystem: "rate_limit",
		Name:      "store_state_changes_total",
		Help:      "Times the shared store was given up (open) or resumed (closed).",
	}, []string{"state"})
)
