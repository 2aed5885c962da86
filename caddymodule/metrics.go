package caddymodule

import (
	"errors"

	"github.com/ocomms/ocomms-edge/reqbody"
	"github.com/prometheus/client_golang/prometheus"
)

// registerCollectors registers collectors with a config's registry,
// accepting ones already registered there.
func registerCollectors(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return err
			}
		}
	}
	return nil
}

// Handlers that refuse requests because of their bodies (the "by" label).
const (
	refusedByAuthGuard = "auth_guard"
	refusedByRateLimit = "rate_limit"
)

// requestsRefused counts requests the edge answered itself because it
// could not read their body one way or the body lacked the field a guard
// or zone keys on. Labels come from fixed sets (the handler, reqbody's
// reasons), never a key, an account or an address.
var requestsRefused = func() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ocomms",
		Name:      "requests_refused_total",
		Help:      "Requests refused before the app because their body could not be read one way or lacked the field the edge keys on, by handler and reason.",
	}, []string{"by", "reason"})
	for _, by := range []string{refusedByAuthGuard, refusedByRateLimit} {
		for _, reason := range reqbody.Reasons() {
			c.WithLabelValues(by, reason)
		}
	}
	return c
}()
