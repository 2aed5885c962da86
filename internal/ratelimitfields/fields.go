// Package ratelimitfields formats the IETF RateLimit-Policy and RateLimit
// response fields (draft-ietf-httpapi-ratelimit-headers) once, for every
// 429 the edge sends: the rate limiter's zones and the auth guard's own
// refusals (spray control, progressive refusal, lock).
package ratelimitfields

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Policy is one quota policy and the client's state under it.
type Policy struct {
	// Name identifies the policy (a zone name): a token or a quoted
	// string's content; quotes and backslashes are dropped.
	Name string
	// Quota (q) is how many units the policy allows per Window (w).
	Quota  int64
	Window time.Duration
	// Remaining (r) is how many units are left.
	Remaining int64
	// Reset (t) is how long until the quota resets, rounded up to whole
	// seconds (0 stays 0). Negative: no automatic reset, t is omitted.
	Reset time.Duration
}

// CeilSeconds rounds a wait up to whole seconds, at least 1: a client that
// waits exactly that long must be admitted.
func CeilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// Set sets RateLimit-Policy and RateLimit on h for the given policies, in
// order, skipping those without a name; with none it does nothing.
func Set(h http.Header, policies ...Policy) {
	var policy, state strings.Builder
	for _, p := range policies {
		if p.Name == "" {
			continue
		}
		if policy.Len() > 0 {
			policy.WriteString(", ")
			state.WriteString(", ")
		}
		name := strings.NewReplacer(`"`, "", `\`, "").Replace(p.Name)
		policy.WriteString(`"` + name + `";q=` + strconv.FormatInt(p.Quota, 10) +
			`;w=` + strconv.FormatInt(int64(p.Window/time.Second), 10))
		state.WriteString(`"` + name + `";r=` + strconv.FormatInt(p.Remaining, 10))
		switch {
		case p.Reset > 0:
			state.WriteString(`;t=` + strconv.FormatInt(CeilSeconds(p.Reset), 10))
		case p.Reset == 0:
			state.WriteString(`;t=0`)
		}
	}
	if policy.Len() == 0 {
		return
	}
	h.Set("RateLimit-Policy", policy.String())
	h.Set("RateLimit", state.String())
}
