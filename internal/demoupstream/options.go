package demoupstream

import (
	"log"
	"time"
)

// DemoEmail is the email address of the user every Handler starts with.
const DemoEmail = "demo@ocomms.test"

// DemoName is the display name of the demo user.
const DemoName = "Demo User"

// DefaultPassword is the demo user's password when Options.Password is empty.
const DefaultPassword = "correct horse battery staple"

// DefaultPollHold is how long a socket.io long-poll GET is held open when
// Options.PollHold is zero (engine.io's pingInterval).
const DefaultPollHold = 25 * time.Second

// DefaultStreamDelay is the pause between streamed HTML chunks when
// Options.StreamDelay is zero.
const DefaultStreamDelay = 2 * time.Millisecond

// DefaultTrustedOrigin is the origin the fixture recorder sent; it is trusted
// when Options.TrustedOrigins is nil.
const DefaultTrustedOrigin = "http://localhost:8080"

// Options configures a Handler. The zero value is usable.
type Options struct {
	// Password is the demo user's password (DefaultPassword when empty).
	Password string
	// SecureCookies names cookies with the __Secure- prefix and adds the
	// Secure attribute, as better-auth does with an https baseURL.
	SecureCookies bool
	// Secret is the HMAC key for signed cookies (BETTER_AUTH_SECRET); a
	// random one is generated when empty.
	Secret string
	// TrustedOrigins lists the origins better-auth's origin check accepts,
	// in addition to any origin whose host equals the request's Host (which
	// stands in for a correctly configured BETTER_AUTH_URL). Nil means
	// []string{DefaultTrustedOrigin}.
	TrustedOrigins []string
	// PollHold is how long a socket.io polling GET waits for a packet before
	// answering a noop (DefaultPollHold when zero).
	PollHold time.Duration
	// StreamDelay is the pause between the flushed chunks of an HTML page,
	// so that a proxy reads them separately: 0 means DefaultStreamDelay and
	// a negative value means no pause.
	StreamDelay time.Duration
	// RateLimit turns on the emulation of better-auth's built-in rate
	// limiter (the fixtures' "rate-limit-on" instance).
	RateLimit bool
	// Logger receives server-side error lines such as better-auth's
	// "# SERVER_ERROR:"; nil discards them.
	Logger *log.Logger
}

// withDefaults returns o with empty fields filled in.
func (o Options) withDefaults() Options {
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.TrustedOrigins == nil {
		o.TrustedOrigins = []string{DefaultTrustedOrigin}
	}
	if o.PollHold <= 0 {
		o.PollHold = DefaultPollHold
	}
	if o.StreamDelay == 0 {
		o.StreamDelay = DefaultStreamDelay
	}
	if o.Secret == "" {
		o.Secret = randomString(32)
	}
	return o
}
