package guardmod

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/adminaction"
	"github.com/ocomms/ocomms-edge/authguard"
	"github.com/ocomms/ocomms-edge/authguard/lockout"
	"github.com/ocomms/ocomms-edge/authguard/password"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

func init() {
	caddy.RegisterModule(AuthGuard{})
}

// AuthGuard is the ocomms_auth_guard handler (SEC-04, SEC-07) in front of
// better-auth: auth request bodies are read exactly as better-call reads
// them and forwarded byte-identical, new passwords must pass the password
// policy, sign-ins go through the account lockout, and the app's answers
// are read to count failures and successes. Requests outside the prefix
// pass untouched.
type AuthGuard struct {
	// Prefix is better-auth's mount point. Default: /api/auth.
	Prefix string `json:"prefix,omitempty"`

	// MaxBody caps the auth request bodies the guard reads, in bytes;
	// larger ones get 413 JSON. Default: 65536 (64 KiB).
	MaxBody int64 `json:"max_body,omitempty"`

	// BodyTimeout bounds the time a client may take to send a whole auth
	// body; a slower one gets 408 JSON and its connection is closed.
	// Default: 10s.
	BodyTimeout caddy.Duration `json:"body_timeout,omitempty"`

	// UnlockURL is the page the lock answer points to (unlockUrl) in
	// unlock_mode reset. Default: /forgot-password.
	UnlockURL string `json:"unlock_url,omitempty"`

	// UnlockMode is the way out the lock answer offers: reset (the app has
	// a self-service password reset at unlock_url) or admin (it has none,
	// as OComms v0.1.0: wait or contact an administrator; no unlockUrl).
	// Default: reset.
	UnlockMode string `json:"unlock_mode,omitempty"`

	// LockMessage is the message of a temporary lock; {wait} is the
	// rounded wait ("15 minutes"), {minutes} the wait in minutes. Default:
	// the mode's message.
	LockMessage string `json:"lock_message,omitempty"`

	// HardLockMessage is the message of a hard lock (no wait). Default:
	// the mode's message.
	HardLockMessage string `json:"hard_lock_message,omitempty"`

	// SessionURL is the app's GET /api/auth/get-session, asked with the
	// request's Cookie header to name the user of a sign-out and of a
	// session issued by another sign-in path (email verification, two
	// factor…). Point it at the upstream directly. "off" leaves those
	// events without a user. Default: modkit.DefaultSessionURL.
	SessionURL string `json:"session_url,omitempty"`

	// OnStoreError is what sign-ins get while the lockout store fails:
	// closed (503 JSON) or open (forwarded unguarded). Default: closed.
	OnStoreError string `json:"on_store_error,omitempty"`

	// Password configures the password policy. Default: on, with the
	// policy's defaults (15 to 128 characters, blocklist, score 3).
	Password *PasswordConfig `json:"password,omitempty"`

	// Lockout configures the account lockout. Default: on, with the
	// engine's defaults (5 free failures, locks of 15, 30, 60 minutes, a
	// hard limit of 100).
	Lockout *LockoutConfig `json:"lockout,omitempty"`

	// TwoFactor guards better-auth's two-factor endpoints against code
	// guessing (on with the lockout, whose store it shares).
	TwoFactor *TwoFactorConfig `json:"two_factor,omitempty"`

	// Store is where lockout state lives: memory (kept across reloads) or
	// redis (kept across restarts and shared by instances; needs
	// `ocomms { redis … }`). Default: redis when the ocomms global option
	// configures one, memory otherwise.
	Store string `json:"store,omitempty"`

	guard   *authguard.Guard
	engine  lockout.LockoutEngine
	cleanup modkit.Cleanups
	logger  *zap.Logger
}

// PasswordConfig is the password policy in JSON.
type PasswordConfig struct {
	// Off turns the password policy off.
	Off bool `json:"off,omitempty"`
	// MinLength is the least number of code points. Default: 15.
	MinLength int `json:"min_length,omitempty"`
	// MaxLength is the most UTF-16 code units. Default: 128.
	MaxLength int `json:"max_length,omitempty"`
	// Require lists composition rules (upper, lower, digit, symbol).
	// Default: none (NIST SP 800-63B rev 4 forbids them).
	Require []string `json:"require,omitempty"`
	// MinScore is the least strength score, 1 to 4. Default: 3.
	MinScore int `json:"min_score,omitempty"`
	// NoStrength turns the strength estimate off (Caddyfile min_score 0).
	// Default: false.
	NoStrength bool `json:"no_strength,omitempty"`
	// NoBlocklist turns the embedded blocklist off. Default: false.
	NoBlocklist bool `json:"no_blocklist,omitempty"`
	// Words are extra context words a password must not be built on, such
	// as the organisation's name. Default: none.
	Words []string `json:"words,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (AuthGuard) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[AuthGuard]("http.handlers.ocomms_auth_guard")
}

// Provision builds the password policy, the lockout engine and the guard.
// It opens no connection.
func (ag *AuthGuard) Provision(ctx caddy.Context) error {
	ag.logger = caddy.Log().Named("ocomms.authguard")
	if err := modkit.RegisterCollectors(ctx.GetMetricsRegistry(), authGuardDecisions, modkit.RequestsRefused); err != nil {
		return fmt.Errorf("ocomms_auth_guard: registering metrics: %w", err)
	}
	app, err := modkit.AppFrom(ctx)
	if err != nil {
		return fmt.Errorf("ocomms_auth_guard: %w", err)
	}
	cfg := authguard.GuardConfig{
		Prefix:          ag.Prefix,
		MaxBody:         ag.MaxBody,
		ClientIP:        modkit.ClientAddr,
		UnlockURL:       ag.UnlockURL,
		UnlockMode:      ag.UnlockMode,
		LockMessage:     ag.LockMessage,
		HardLockMessage: ag.HardLockMessage,
		Events:          modkit.EmitterOrDiscard(ctx),
		Logger:          ag.logger,
		OnDecision: func(d authguard.Decision) {
			authGuardDecisions.WithLabelValues(string(d)).Inc()
		},
		OnBodyRefused: func(reason string) {
			modkit.RequestsRefused.WithLabelValues(modkit.RefusedByAuthGuard, reason).Inc()
		},
		BodyDeadline: time.Duration(ag.BodyTimeout),
	}
	switch ag.OnStoreError {
	case "", "closed":
	case "open":
		cfg.FailOpen = true
	default:
		return fmt.Errorf("ocomms_auth_guard: on_store_error %q: use closed or open", ag.OnStoreError)
	}
	if cfg.Sessions, err = ag.sessionLookup(ctx); err != nil {
		return fmt.Errorf("ocomms_auth_guard: %w", err)
	}
	if cfg.Passwords, err = ag.Password.policy(); err != nil {
		return fmt.Errorf("ocomms_auth_guard: %w", err)
	}
	if err := ag.provisionLockout(app, &cfg); err != nil {
		return fmt.Errorf("ocomms_auth_guard: %w", err)
	}
	if ag.guard, err = authguard.NewGuard(cfg); err != nil {
		return fmt.Errorf("ocomms_auth_guard: %w", err)
	}
	return nil
}

// sessionLookup builds the resolver of session_url; nil when it is off.
func (ag *AuthGuard) sessionLookup(ctx caddy.Context) (authguard.SessionLookup, error) {
	url := caddy.NewReplacer().ReplaceKnown(ag.SessionURL, "")
	if url == "" {
		url = modkit.DefaultSessionURL
	}
	if url == "off" {
		return nil, nil
	}
	s, err := adminaction.NewSessionResolver(adminaction.SessionConfig{URL: url, Logger: ag.logger.Named("session")})
	if err != nil {
		return nil, fmt.Errorf("session_url: %w", err)
	}
	return s, nil
}

// policy builds the password checker; nil when the policy is off.
func (pc *PasswordConfig) policy() (authguard.PasswordChecker, error) {
	if pc == nil {
		pc = &PasswordConfig{}
	}
	if pc.Off {
		return nil, nil
	}
	p, err := password.NewPasswordPolicy(password.PasswordOptions{
		MinLength: pc.MinLength, MaxLength: pc.MaxLength, Require: pc.Require,
		MinScore: pc.MinScore, NoStrength: pc.NoStrength, NoBlocklist: pc.NoBlocklist, Words: pc.Words,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ServeHTTP guards auth requests and passes the rest on.
func (ag *AuthGuard) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return ag.guard.Serve(w, r, next)
}

// Cleanup releases the lockout state and connections.
func (ag *AuthGuard) Cleanup() error {
	ag.cleanup.Run()
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*AuthGuard)(nil)
	_ caddy.CleanerUpper          = (*AuthGuard)(nil)
	_ caddyhttp.MiddlewareHandler = (*AuthGuard)(nil)
)
