package guardmod

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ocomms/ocomms-edge/authguard"
)

// authGuardDecisions counts the auth guard's decisions. The label comes
// from a fixed set (authguard.Decisions), never an account or an address.
var authGuardDecisions = func() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ocomms",
		Subsystem: "auth_guard",
		Name:      "decisions_total",
		Help:      "Auth requests decided by the guard: sign-ins succeeded, failed or not counted, refusals by reason, store errors, rejected passwords and refused bodies.",
	}, []string{"decision"})
	for _, d := range authguard.Decisions() {
		c.WithLabelValues(string(d))
	}
	return c
}()
