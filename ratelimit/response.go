package ratelimit

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ocomms/ocomms-edge/internal/apierror"
	"github.com/ocomms/ocomms-edge/internal/ratelimitfields"
)

// ceilSeconds rounds a wait up to whole seconds, at least 1: a client that
// waits exactly Retry-After must be admitted.
func ceilSeconds(d time.Duration) int64 { return ratelimitfields.CeilSeconds(d) }

// SetHeaders adds the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers) for every matching zone.
func (d *Decision) SetHeaders(h http.Header) {
	if len(d.Zones) == 0 {
		return
	}
	policies := make([]ratelimitfields.Policy, len(d.Zones))
	for i, z := range d.Zones {
		o := d.Outcomes[i]
		wait := o.ResetAfter
		if !o.Allowed {
			wait = o.RetryAfter
		}
		policies[i] = ratelimitfields.Policy{Name: z.Name, Quota: z.Rate.Count, Window: z.Rate.Period,
			Remaining: o.Remaining, Reset: max(wait, 0)}
	}
	ratelimitfields.Set(h, policies...)
}

// WriteDenied answers a refused request: 429 with Retry-After (whole
// seconds, rounded up), X-Retry-After (what better-auth's client reads),
// the RateLimit fields and a JSON body with code, message (the OComms UI
// shows it) and error (its API callers read it).
func (d *Decision) WriteDenied(w http.ResponseWriter) {
	secs := ceilSeconds(d.RetryAfter())
	d.SetHeaders(w.Header())
	apierror.Write(w, http.StatusTooManyRequests, "RATE_LIMITED",
		"Too many requests. Please try again in "+humanWait(secs)+".", secs)
}

func humanWait(secs int64) string {
	switch {
	case secs == 1:
		return "1 second"
	case secs < 120:
		return strconv.FormatInt(secs, 10) + " seconds"
	default:
		return strconv.FormatInt((secs+59)/60, 10) + " minutes"
	}
}
