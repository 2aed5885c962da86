package guardmod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	caddy.RegisterModule(LockoutAdmin{})
}

// runningEngines holds the lockout engines of the provisioned
// ocomms_auth_guard handlers, for the admin API. During a reload the old
// and the new config's engines are both present; they share their store,
// so listing dedupes by account key and unlocking asks every engine.
var runningEngines = struct {
	sync.Mutex
	m map[*AuthGuard]lockout.LockoutEngine
}{m: map[*AuthGuard]lockout.LockoutEngine{}}

// registerEngine records ag's engine and returns its release.
func registerEngine(ag *AuthGuard, e lockout.LockoutEngine) func() {
	runningEngines.Lock()
	runningEngines.m[ag] = e
	runningEngines.Unlock()
	return func() {
		runningEngines.Lock()
		delete(runningEngines.m, ag)
		runningEngines.Unlock()
	}
}

// Engines returns the lockout engines of the running ocomms_auth_guard
// handlers (the admin API and the console read them).
func Engines() []lockout.LockoutEngine {
	runningEngines.Lock()
	defer runningEngines.Unlock()
	out := make([]lockout.LockoutEngine, 0, len(runningEngines.m))
	for _, e := range runningEngines.m {
		out = append(out, e)
	}
	return out
}

// LockoutAdmin is the admin API of the account lockout, on Caddy's admin
// listener (default localhost:2019; whoever can reach it can unlock):
//
//	GET  /ocomms/lockouts         accounts with failures or a lock (no emails: keys only)
//	POST /ocomms/lockouts/unlock  {"email":"…"} or {"key":"<key from the list>"}: clears the account
//
// State changes only by POST; other methods get 405.
type LockoutAdmin struct{}

// CaddyModule returns the Caddy module information.
func (LockoutAdmin) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[LockoutAdmin]("admin.api.ocomms_lockouts")
}

// Routes returns the admin routes.
func (LockoutAdmin) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/ocomms/lockouts", Handler: modkit.WithInstance(serveLockoutList)},
		{Pattern: "/ocomms/lockouts/unlock", Handler: modkit.WithInstance(serveLockoutUnlock)},
	}
}

// LockoutListEntry is one account in GET /ocomms/lockouts.
type LockoutListEntry struct {
	Key         string     `json:"key"`
	Failures    int        `json:"failures"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	HardLocked  bool       `json:"hard_locked"`
	LastFailure *time.Time `json:"last_failure,omitempty"`
	// Device-cookie state: trusted devices with failures or a lock on
	// record, those locked, those no longer trusted.
	Devices           int `json:"devices"`
	DevicesLocked     int `json:"devices_locked"`
	DevicesDistrusted int `json:"devices_distrusted"`
}

// LockoutList is the body of GET /ocomms/lockouts.
type LockoutList struct {
	Lockouts []LockoutListEntry `json:"lockouts"`
	// Instance is the edge process that answered (see modkit.InstanceInfo).
	Instance string `json:"instance"`
}

// UnlockRequest is the body of POST /ocomms/lockouts/unlock: an email, or
// an account key as GET /ocomms/lockouts shows it.
type UnlockRequest struct {
	Email string `json:"email,omitempty"`
	Key   string `json:"key,omitempty"`
}

// KeyUnlocker is an engine that also unlocks by account key.
type KeyUnlocker interface {
	UnlockKey(ctx context.Context, key string) (bool, error)
}

// UnlockResult is the answer of POST /ocomms/lockouts/unlock.
type UnlockResult struct {
	// Unlocked is whether the account had state that was cleared.
	Unlocked bool `json:"unlocked"`
	// Instance is the edge process that answered (see modkit.InstanceInfo).
	Instance string `json:"instance"`
}

// ErrNoGuard is the answer when no guard with a lockout runs.
var ErrNoGuard = errors.New("no ocomms_auth_guard with a lockout is running")

const adminTimeout = 10 * time.Second

func serveLockoutList(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return modkit.MethodNotAllowed(w, http.MethodGet)
	}
	es := Engines()
	if len(es) == 0 {
		return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: ErrNoGuard}
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminTimeout)
	defer cancel()
	byKey := map[string]LockoutListEntry{}
	for _, e := range es {
		list, err := e.List(ctx)
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: fmt.Errorf("listing lockouts: %w", err)}
		}
		for _, le := range list {
			byKey[le.Key] = listEntry(le)
		}
	}
	out := LockoutList{Lockouts: make([]LockoutListEntry, 0, len(byKey)), Instance: modkit.ThisInstance.ID}
	for _, le := range byKey {
		out.Lockouts = append(out.Lockouts, le)
	}
	sort.Slice(out.Lockouts, func(i, j int) bool { return out.Lockouts[i].Key < out.Lockouts[j].Key })
	return modkit.WriteAdminJSON(w, out)
}

func listEntry(le lockout.LockoutEntry) LockoutListEntry {
	out := LockoutListEntry{Key: le.Key, Failures: le.Failures, HardLocked: le.HardLocked,
		Devices: le.Devices, DevicesLocked: le.DevicesLocked, DevicesDistrusted: le.DevicesDistrusted}
	if !le.LockedUntil.IsZero() {
		t := le.LockedUntil.UTC()
		out.LockedUntil = &t
	}
	if !le.LastFailure.IsZero() {
		t := le.LastFailure.UTC()
		out.LastFailure = &t
	}
	return out
}

func serveLockoutUnlock(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return modkit.MethodNotAllowed(w, http.MethodPost)
	}
	var req UnlockRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || (strings.TrimSpace(req.Email) == "") == (req.Key == "") {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New(`want {"email":"<address>"} or {"key":"<account key>"}`)}
	}
	es := Engines()
	if len(es) == 0 {
		return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: ErrNoGuard}
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminTimeout)
	defer cancel()
	res := UnlockResult{Instance: modkit.ThisInstance.ID}
	for _, e := range es {
		var ok bool
		var err error
		if req.Key != "" {
			ku, can := e.(KeyUnlocker)
			if !can {
				return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New("this lockout engine unlocks by email only")}
			}
			ok, err = ku.UnlockKey(ctx, req.Key)
		} else {
			ok, err = e.Unlock(ctx, req.Email)
		}
		if err != nil && req.Key != "" && strings.Contains(err.Error(), "not an account key") {
			return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New("key: want the 32 hex digits GET /ocomms/lockouts shows")}
		}
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: fmt.Errorf("unlocking: %w", err)}
		}
		res.Unlocked = res.Unlocked || ok
	}
	caddy.Log().Named("ocomms.authguard").Info("account unlocked by an admin",
		zap.String("email", strings.ToLower(req.Email)), zap.String("key", req.Key), zap.Bool("had_state", res.Unlocked),
		zap.String("remote_addr", r.RemoteAddr))
	return modkit.WriteAdminJSON(w, res)
}

// Interface guard
var _ caddy.AdminRouter = LockoutAdmin{}
