package ratelimit

import (
	"fmt"
	"net/http"
	"time"
)

// AuthPrefix is where better-auth is mounted in OComms.
const AuthPrefix = "/api/auth"

// PresetNames lists the zone presets.
func PresetNames() []string { return []string{"none", "ocomms"} }

// Preset returns the named preset's zones: "ocomms" (recommended for
// OComms) or "none" (no zones).
func Preset(name string) ([]Zone, error) {
	switch name {
	case "none":
		return nil, nil
	case "ocomms", "":
		return ocommsZones(), nil
	}
	return nil, fmt.Errorf("unknown rate limit preset %q: use ocomms or none", name)
}

var (
	post    = []string{http.MethodPost}
	writing = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	byIP    = []KeySource{{Kind: KeyClientIP}}
	byEmail = []KeySource{{Kind: KeyBody, Name: "email"}}
)

// ocommsZones are the recommended zones for OComms behind the edge.
//
//   - Sign-in counts only failed attempts (401), per IP and per email, so
//     people who type their password right are never charged. The per-email
//     budget (10 per 15 minutes) is wider than the auth guard's lockout
//     threshold (5), so a locked user sees the lockout answer with its
//     unlock path, not a generic 429.
//   - Sign-up, password-reset requests and reset submissions are limited
//     per IP; reset requests also per email, so nobody can flood a mailbox.
//   - Change-password counts only wrong current passwords (400).
//   - Admin and upload endpoints get a tighter per-IP limit than the rest
//     of /api, which is generous.
//   - The auth zones are exact (one Redis script per decision, no
//     overshoot across instances). The generous zones (admin and uploads,
//     and /api) are approximate: each instance admits within a small
//     per-key credit and sends the counts to Redis in batches, so most
//     /api requests touch no Redis; across N instances they admit at most
//     N × lease requests beyond the limit (2N of 30/min, 10N of 600/min
//     with a burst of 200).
//   - /socket.io/ is in no zone: a Socket.IO client long-polls a few times
//     a minute, and fifty of them behind one office NAT must not see a 429.
func ocommsZones() []Zone {
	rate := func(count int64, period time.Duration) Rate { return Rate{Count: count, Period: period} }
	return []Zone{
		{Name: "signin-ip", Match: MatchRoute(post, AuthPrefix+"/sign-in/email"), Rate: rate(30, 15*time.Minute), Key: byIP, CountStatus: []int{http.StatusUnauthorized}, OnStoreError: ErrorLocal},
		{Name: "signin-email", Match: MatchRoute(post, AuthPrefix+"/sign-in/email"), Rate: rate(10, 15*time.Minute), Key: byEmail, CountStatus: []int{http.StatusUnauthorized}, OnStoreError: ErrorLocal},
		{Name: "signup-ip", Match: MatchRoute(post, AuthPrefix+"/sign-up/email"), Rate: rate(10, time.Hour), Key: byIP, OnStoreError: ErrorLocal},
		{Name: "reset-request-ip", Match: MatchRoute(post, AuthPrefix+"/request-password-reset", AuthPrefix+"/forget-password"), Rate: rate(5, 15*time.Minute), Key: byIP, OnStoreError: ErrorLocal},
		{Name: "reset-request-email", Match: MatchRoute(post, AuthPrefix+"/request-password-reset", AuthPrefix+"/forget-password"), Rate: rate(3, time.Hour), Key: byEmail, OnStoreError: ErrorLocal},
		{Name: "reset-submit-ip", Match: MatchRoute(post, AuthPrefix+"/reset-password"), Rate: rate(10, 15*time.Minute), Key: byIP, OnStoreError: ErrorLocal},
		{Name: "change-password-ip", Match: MatchRoute(post, AuthPrefix+"/change-password"), Rate: rate(10, 15*time.Minute), Key: byIP, CountStatus: []int{http.StatusBadRequest}, OnStoreError: ErrorLocal},
		{Name: "sensitive-ip", Match: MatchRoute(writing, "/api/admin/*", "/api/upload/*"), Rate: rate(30, time.Minute), Key: byIP, OnStoreError: ErrorLocal, Mode: ModeApproximate, Lease: 2},
		{Name: "api-ip", Match: MatchRoute(nil, "/api/*"), Rate: rate(600, time.Minute), Burst: 200, Key: byIP, OnStoreError: ErrorLocal, Mode: ModeApproximate, Lease: 10},
	}
}
