package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms-edge/internal/jscase"
	"github.com/ocomms/ocomms-edge/secevent"
)

// lockoutView is one lockout as the page gets it.
type lockoutView struct {
	Key         string     `json:"key"`
	Failures    int        `json:"failures"`
	Locked      bool       `json:"locked"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	HardLocked  bool       `json:"hard_locked"`
	LastFailure *time.Time `json:"last_failure,omitempty"`
	// Device-cookie state: trusted devices on record, how many are
	// locked, how many no longer trusted.
	Devices           int `json:"devices"`
	DevicesLocked     int `json:"devices_locked"`
	DevicesDistrusted int `json:"devices_distrusted"`
}

const backendTimeout = 10 * time.Second

// serveLockouts lists the accounts with failures or a lock. With
// ?email=, only the account whose key is that email's hash.
func (h *Handler) serveLockouts(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Lockouts == nil {
		writeError(w, http.StatusServiceUnavailable, "NO_LOCKOUT", "No ocomms_auth_guard with a lockout is running.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	list, err := h.cfg.Lockouts.List(ctx)
	if errors.Is(err, ErrUnavailable) {
		writeError(w, http.StatusServiceUnavailable, "NO_LOCKOUT", "No ocomms_auth_guard with a lockout is running.")
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "LOCKOUT_UNAVAILABLE", "The lockout store did not answer.")
		return
	}
	want := ""
	if email := normEmail(r.URL.Query().Get("email")); email != "" {
		want = h.cfg.Lockouts.AccountKey(email)
	}
	now := h.cfg.Now()
	out := make([]lockoutView, 0, len(list))
	for _, l := range list {
		if want != "" && l.Key != want {
			continue
		}
		v := lockoutView{Key: l.Key, Failures: l.Failures, HardLocked: l.HardLocked,
			Devices: l.Devices, DevicesLocked: l.DevicesLocked, DevicesDistrusted: l.DevicesDistrusted}
		if !l.LockedUntil.IsZero() {
			t := l.LockedUntil.UTC()
			v.LockedUntil = &t
			v.Locked = t.After(now)
		}
		v.Locked = v.Locked || l.HardLocked
		if !l.LastFailure.IsZero() {
			t := l.LastFailure.UTC()
			v.LastFailure = &t
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Locked != out[j].Locked {
			return out[i].Locked
		}
		if out[i].Failures != out[j].Failures {
			return out[i].Failures > out[j].Failures
		}
		if di, dj := out[i].DevicesLocked+out[i].DevicesDistrusted, out[j].DevicesLocked+out[j].DevicesDistrusted; di != dj {
			return di > dj
		}
		return out[i].Key < out[j].Key
	})
	writeJSON(w, map[string]any{"lockouts": out, "typed_key": want})
}

// unlockRequest is the body of POST api/unlock: the account by key or by
// email, and confirm repeating it (the page's confirmation step).
type unlockRequest struct {
	Key     string `json:"key,omitempty"`
	Email   string `json:"email,omitempty"`
	Confirm string `json:"confirm"`
}

// serveUnlock clears an account. It takes only a same-origin JSON POST
// whose confirm repeats the account, and records the unlock as an admin
// action naming the operator.
func (h *Handler) serveUnlock(w http.ResponseWriter, r *http.Request, op Operator) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Unlock by POST.")
		return
	}
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "CROSS_ORIGIN", "Unlock only from the console's own origin.")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "JSON_REQUIRED", "Send the unlock as application/json.")
		return
	}
	var req unlockRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || (req.Key == "") == (req.Email == "") {
		writeError(w, http.StatusBadRequest, "BAD_UNLOCK", `Send {"key":…} or {"email":…} with "confirm" repeating it.`)
		return
	}
	target := req.Key
	if req.Email != "" {
		target = req.Email
	}
	if req.Confirm != target {
		writeError(w, http.StatusBadRequest, "NOT_CONFIRMED", "The unlock was not confirmed.")
		return
	}
	if h.cfg.Lockouts == nil {
		writeError(w, http.StatusServiceUnavailable, "NO_LOCKOUT", "No ocomms_auth_guard with a lockout is running.")
		return
	}
	key, email := req.Key, ""
	if req.Email != "" {
		email = normEmail(req.Email)
		key = h.cfg.Lockouts.AccountKey(email)
	}
	if !validKey(key) {
		writeError(w, http.StatusBadRequest, "BAD_KEY", "The key is the 32 hex digits the lockout list shows.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	had, err := h.cfg.Lockouts.UnlockKey(ctx, key)
	if errors.Is(err, ErrUnavailable) {
		writeError(w, http.StatusServiceUnavailable, "NO_LOCKOUT", "No ocomms_auth_guard with a lockout is running.")
		return
	}
	outcome := secevent.OutcomeSuccess
	if err != nil {
		outcome = secevent.OutcomeFailure
	}
	h.cfg.Emitter.Emit(secevent.Event{
		Action:      secevent.ActionAdmin,
		Outcome:     outcome,
		Reason:      "console_unlock",
		UserID:      op.UserID,
		UserEmail:   op.Email,
		TargetUser:  key,
		TargetEmail: email,
		SourceIP:    h.cfg.ClientIP(r),
		UserAgent:   clip(r.UserAgent(), 512),
		Method:      r.Method,
		Path:        clip(r.URL.Path, 1024),
		Labels: map[string]string{
			"resource": "lockout", "operation": "unlock", "via": "console",
			"operator": h.operatorHash(op), "had_state": strconv.FormatBool(had),
		},
	})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "UNLOCK_FAILED", "The lockout store did not answer; nothing was unlocked.")
		return
	}
	writeJSON(w, map[string]any{"unlocked": had, "key": key})
}

// sameOrigin reports whether r's Origin is exactly the console's own
// scheme, host and port. A request without Origin is refused: browsers
// send it on every POST.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || r.Host == "" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return origin == scheme+"://"+strings.ToLower(r.Host)
}

func validKey(k string) bool {
	return len(k) == 32 && strings.Trim(k, "0123456789abcdef") == ""
}

func normEmail(s string) string { return jscase.ToLower(strings.TrimSpace(s)) }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
