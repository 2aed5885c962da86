package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/internal/apierror"
)

// ceilSeconds rounds a wait up to whole seconds, at least 1: a client that
// waits exactly Retry-After must be admitted.
func ceilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// SetHeaders adds the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers) for every matching zone.
func (d *Decision) SetHeaders(h http.Header) {
	if len(d.Zones) == 0 {
		return
	}
	var policy, state strings.Builder
	for i, z := range d.Zones {
		o := d.Outcomes[i]
		if i > 0 {
			policy.WriteString(", ")
			state.WriteString(", ")
		}
		policy.WriteString(`"` + z.Name + `";q=` + strconv.FormatInt(z.Rate.Count, 10) +
			`;w=` + strconv.FormatInt(int64(z.Rate.Period/time.Second), 10))
		wait := o.ResetAfter
		if !o.Allowed {
			wait = o.RetryAfter
		}
		t := int64(0)
		if wait > 0 {
			t = ceilSeconds(wait)
		}
		state.WriteString(`"` + z.Name + `";r=` + strconv.FormatInt(o.Remaining, 10) + `;t=` + strconv.FormatInt(t, 10))
	}
	h.Set("RateLimit-Policy", policy.String())
	h.Set("RateLimit", state.String())
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
