package modkit

import (
	"errors"

	"github.com/ocomms/ocomms-edge/reqbody"
	"github.com/prometheus/client_golang/prometheus"
)

// RegisterCollectors registers collectors with a config's registry,
// accepting ones already registered there.
func RegisterCollectors(reg prometheus.Registerer, cs ...prometheus.Collector) error {
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
	RefusedByAuthGuard = "auth_guard"
	RefusedByRateLimit = "rate_limit"
)

// RequestsRefused counts requests the edge answered itself because it
// could not read their body one way or the body lacked the field a guard
// or zone keys on. Labels come from fixed sets (the handler, reqbody's
// reasons), never a key, an account or an address.
var RequestsRefused = func() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ocomms",
		Name:      "requests_refused_total",
		Help:      "Requests refused before the app because their body could not be read one way or lacked the field the edge keys on, by handler and reason.",
	}, []string{"by", "reason"})
	for _, by := range []string{RefusedByAuthGuard, RefusedByRateLimit} {
		for _, reason := range reqbody.Reasons() {
			c.WithLabelValues(by, reason)
		}
	}
	return c
}()

// RateLimitStoreFallback is 1 while ocomms_rate_limit's shared store is
// unreachable (its circuit breaker open). It lives here, not with the rate
// limiter's adapter, because the console's health panel reads it too.
var RateLimitStoreFallback = prometheus.NewGauge(prometheus.GaugeOpts{
	Namespace: "ocomms",
	Subsystem: "rate_limit",
	Name:      "store_fallback",
	Help:      "1 while the shared rate-limit store is unreachable and zones follow on_store_error.",
})
