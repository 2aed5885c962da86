package accessmod

import "github.com/prometheus/client_golang/prometheus"

// accessDenied counts refusals of the access rules: by is the handler
// (ip_allow, origin), rule a fixed kind (ip_allow: path, server_action,
// all; origin: socketio, unsafe_method, preflight). Never an address or an
// origin.
var accessDenied = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: "ocomms",
	Subsystem: "access",
	Name:      "denied_total",
	Help:      "Requests refused by an access rule (admin IP allowlist, Origin checks), by handler and rule kind.",
}, []string{"by", "rule"})
