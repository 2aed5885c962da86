package adminaction

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ocomms/ocomms-edge/internal/statusrec"
	"github.com/ocomms/ocomms-edge/secevent"
)

// AdminConfig configures AdminActions.
type AdminConfig struct {
	// Paths recognises admin actions.
	Paths AdminPaths
	// Sessions resolves the acting user from the Cookie header. Nil: events
	// carry no user.
	Sessions *SessionResolver
	// ClientIP returns the trusted client address (Caddy's client_ip).
	// Required.
	ClientIP func(*http.Request) string
	// Emitter receives one ActionAdmin event per admin action. Required.
	Emitter secevent.Emitter
	// MaxBody bounds the JSON body read for a target. Default:
	// DefaultAdminMaxBody.
	MaxBody int64
}

// AdminActions records admin actions: it recognises them, reads their
// target, resolves the acting user and, once the response status is known,
// emits one ActionAdmin event. Neither the lookup nor the emit delays the
// response.
type AdminActions struct {
	cfg   AdminConfig
	match adminMatcher
}

// NewAdminActions checks cfg.
func NewAdminActions(cfg AdminConfig) (*AdminActions, error) {
	if cfg.ClientIP == nil {
		return nil, errors.New("admin actions: ClientIP is required")
	}
	if cfg.Emitter == nil {
		return nil, errors.New("admin actions: an Emitter is required")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultAdminMaxBody
	}
	return &AdminActions{cfg: cfg, match: cfg.Paths.compile()}, nil
}

// PendingAdminAction is an admin action whose response is still to come.
type PendingAdminAction struct {
	a       *AdminActions
	action  AdminAction
	event   secevent.Event
	session chan sessionResult
}

type sessionResult struct {
	s     Session
	err   error
	asked bool
}

// Begin returns nil for a request that is not an admin action (without
// reading anything but the method, path and headers). For an admin action
// it reads the target, starts resolving the acting user and returns the
// pending action; call Done with the response status.
func (a *AdminActions) Begin(r *http.Request) *PendingAdminAction {
	act, ok := a.match.match(r)
	if !ok {
		return nil
	}
	readAdminTarget(r, &act, a.cfg.MaxBody)
	p := &PendingAdminAction{
		a:      a,
		action: act,
		event: secevent.Event{
			Time:      time.Now(),
			Action:    secevent.ActionAdmin,
			SourceIP:  a.cfg.ClientIP(r),
			UserAgent: r.UserAgent(), // as every event kind records it; Sanitize bounds it
			Method:    r.Method,
			Path:      secevent.Printable(r.URL.Path, 1024),
		},
		session: make(chan sessionResult, 1),
	}
	cookie := r.Header.Get("Cookie")
	if a.cfg.Sessions == nil || cookie == "" {
		p.session <- sessionResult{}
		return p
	}
	ctx := context.WithoutCancel(r.Context())
	go func() {
		s, err := a.cfg.Sessions.Resolve(ctx, cookie)
		p.session <- sessionResult{s: s, err: err, asked: true}
	}()
	return p
}

// Done records the response status and emits the event once the acting
// user is known, without waiting for it.
func (p *PendingAdminAction) Done(status int) {
	go p.emit(status)
}

func (p *PendingAdminAction) emit(status int) {
	res := <-p.session
	e := p.event
	e.Status = status
	e.Outcome, e.Reason = adminOutcome(status)
	act := p.action
	e.TargetUser, e.TargetEmail = act.TargetUser, act.TargetEmail
	e.Labels = map[string]string{"resource": act.Resource}
	for k, v := range map[string]string{
		"server_action":   act.ServerAction,
		"organization_id": act.OrganizationID,
		"role":            act.Role,
		"invitation_id":   act.InvitationID,
	} {
		if v != "" {
			e.Labels[k] = v
		}
	}
	// The "actor" label says why an event has no user: no cookie
	// (anonymous), a cookie naming no session (no_session), or a failed
	// lookup (unresolved).
	switch {
	case res.err != nil:
		e.Labels["actor"] = "unresolved"
	case !res.asked:
		e.Labels["actor"] = "anonymous"
	case !res.s.Valid():
		e.Labels["actor"] = "no_session"
	default:
		e.UserID, e.UserEmail, e.UserName = res.s.UserID, res.s.Email, res.s.Name
	}
	p.a.cfg.Emitter.Emit(e)
}

// adminOutcome maps a response status to event.outcome and a reason code.
func adminOutcome(status int) (secevent.Outcome, string) {
	switch {
	case status == 0:
		return secevent.OutcomeUnknown, ""
	case status < 400:
		return secevent.OutcomeSuccess, ""
	case status == http.StatusUnauthorized:
		return secevent.OutcomeFailure, "unauthenticated"
	case status == http.StatusForbidden:
		return secevent.OutcomeFailure, "forbidden"
	case status == http.StatusNotFound:
		return secevent.OutcomeFailure, "not_found"
	case status == http.StatusTooManyRequests:
		return secevent.OutcomeFailure, "rate_limited"
	case status >= 500:
		return secevent.OutcomeFailure, "server_error"
	default:
		return secevent.OutcomeFailure, "rejected"
	}
}

// AuditHandler is AdminActions as net/http middleware: requests that are
// not admin actions go to next untouched.
func (a *AdminActions) AuditHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := a.Begin(r)
		if p == nil {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusrec.Writer{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		p.Done(sw.Status.OrOK())
	})
}
