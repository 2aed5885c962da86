package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Status is the outcome of one check.
type Status string

// The statuses, from best to worst. Skip means the check did not run
// (not configured, or not applicable to this deployment).
const (
	Pass Status = "pass"
	Skip Status = "skip"
	Warn Status = "warn"
	Fail Status = "fail"
)

// rank orders statuses by severity.
func (s Status) rank() int {
	switch s {
	case Fail:
		return 3
	case Warn:
		return 2
	case Skip:
		return 1
	}
	return 0
}

// worse returns the more severe of two statuses.
func worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Result is the outcome of one check.
type Result struct {
	// Name identifies the check, e.g. "redirect" or "headers /".
	Name string `json:"name"`
	// Status is pass, warn, fail or skip.
	Status Status `json:"status"`
	// Detail says what was observed, with no secret in it.
	Detail string `json:"detail"`
	// Fix says what to change; empty for a pass.
	Fix string `json:"fix,omitempty"`
	// Data holds the measured values (days left, latency…) for monitoring.
	Data map[string]any `json:"data,omitempty"`
}

// Report is the outcome of a Run.
type Report struct {
	// Target is the checked site URL.
	Target string `json:"target"`
	// Time is when the run started.
	Time time.Time `json:"time"`
	// OK is false when any check failed.
	OK bool `json:"ok"`
	// Summary counts the checks by status.
	Summary map[Status]int `json:"summary"`
	// Checks are the results, in the order they ran.
	Checks []Result `json:"checks"`
}

// ExitCode is the process exit code for the report: 1 when any check
// failed, else 0 (warnings do not fail a run).
func (r *Report) ExitCode() int {
	if r.OK {
		return 0
	}
	return 1
}

// Failed returns the checks that failed.
func (r *Report) Failed() []Result {
	var out []Result
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the first check whose name is name, and whether one exists.
func (r *Report) Find(name string) (Result, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Result{}, false
}

// Defaults for Options fields left zero.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultProvoke429Path = "/api/auth/sign-in/email"
	DefaultProvoke429Max  = 60
)

// Options says what to check. Only URL is required; every other target
// that is left empty is reported as skipped.
type Options struct {
	// URL is the public HTTPS address of the site, e.g. https://chat.example.com.
	URL string
	// HTTPURL is the plain-HTTP address whose redirect is checked.
	// Default: http://<host of URL>/ (port 80).
	HTTPURL string
	// Admin is Caddy's admin API, as host:port or an http:// URL, e.g.
	// localhost:2019. Empty skips the admin checks.
	Admin string
	// AdminRequired makes an unreachable admin API a failure instead of a
	// warning (set when the operator named the address explicitly).
	AdminRequired bool
	// RedisURL is the edge's Redis (OCOMMS_REDIS_URL).
	RedisURL string
	// PostgresURL is the edge's own PostgreSQL (the audit store).
	PostgresURL string
	// AppDatabaseURL is the OComms app's DATABASE_URL, checked for SEC-05.
	AppDatabaseURL string
	// UnlockURL is the page the lock answer offers a locked user, to check
	// that it exists. Empty: every ocomms_auth_guard's unlock_url, read
	// from the admin API's config.
	UnlockURL string
	// RootCAs verifies the site's and the databases' certificates. Nil
	// means the system roots.
	RootCAs *x509.CertPool
	// Provoke429 sends failing sign-in attempts with a throwaway email
	// until the edge answers 429, to check the headers on it. Off by
	// default: it spends part of this client address's sign-in budget.
	Provoke429 bool
	// Provoke429Path is the rate-limited path (default DefaultProvoke429Path).
	Provoke429Path string
	// Provoke429Max bounds the attempts (default DefaultProvoke429Max).
	Provoke429Max int
	// Timeout bounds each network operation (default DefaultTimeout).
	Timeout time.Duration
	// Resolve, when set, is the address (IP or host name) to connect to
	// for the site's host instead of what DNS says, keeping the name for
	// SNI and Host: one instance behind a load balancer, or the edge
	// itself from inside its container (127.0.0.1).
	Resolve string
	// Only restricts the run to these groups of checks (see Groups);
	// empty runs all.
	Only []string
	// BetterAuthURL is the app's BETTER_AUTH_URL, compared with the site's
	// origin and the edge's allowed origins. Empty: not compared.
	BetterAuthURL string
	// BetterAuthTrustedOrigins is the app's BETTER_AUTH_TRUSTED_ORIGINS
	// (comma-separated): each should be an origin the edge allows.
	BetterAuthTrustedOrigins string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Groups are the names Options.Only accepts, in the order checks run.
var Groups = []string{"redirect", "headers", "tls", "admin", "unlock", "two-factor", "access", "redis", "postgres", "app-db"}

// withDefaults fills in zero fields.
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Provoke429Path == "" {
		o.Provoke429Path = DefaultProvoke429Path
	}
	if o.Provoke429Max <= 0 {
		o.Provoke429Max = DefaultProvoke429Max
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// site is the parsed target.
type site struct {
	base *url.URL // scheme://host[:port], no path
	host string   // hostname without port
	addr string   // host:port to dial for TLS
}

// parseSite validates the target URL.
func parseSite(raw string) (site, error) {
	if raw == "" {
		return site{}, errors.New("no site URL given (--url https://chat.example.com)")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return site{}, fmt.Errorf("parsing the site URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return site{}, fmt.Errorf("site URL scheme %q: want https", u.Scheme)
	}
	if u.Hostname() == "" {
		return site{}, errors.New("site URL has no host")
	}
	s := site{base: &url.URL{Scheme: u.Scheme, Host: u.Host}, host: u.Hostname()}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	s.addr = joinHostPort(s.host, port)
	return s, nil
}

// url returns the site URL for path.
func (s site) url(path string) string {
	u := *s.base
	u.Path = path
	return u.String()
}

// Run performs every check and returns the report. It returns an error
// only when the options cannot be used at all (no or a malformed URL);
// everything found wrong with the deployment is a Result.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	s, err := parseSite(opts.URL)
	if err != nil {
		return nil, err
	}
	r := &Report{Target: s.base.String(), Time: opts.Now().UTC()}
	add := func(res ...Result) { r.Checks = append(r.Checks, res...) }

	only := map[string]bool{}
	for _, g := range opts.Only {
		if !slices.Contains(Groups, g) {
			return nil, fmt.Errorf("unknown check group %q (groups: %s)", g, strings.Join(Groups, ", "))
		}
		only[g] = true
	}
	want := func(g string) bool { return len(only) == 0 || only[g] }
	if want("redirect") {
		add(checkRedirect(ctx, opts, s))
	}
	if want("headers") {
		add(checkHeaders(ctx, opts, s)...)
	}
	if want("tls") {
		add(checkTLS(ctx, opts, s)...)
	}
	if want("admin") {
		add(checkAdmin(ctx, opts)...)
	}
	if want("unlock") {
		add(checkUnlock(ctx, opts, s)...)
	}
	if want("two-factor") {
		add(checkTwoFactor(ctx, opts)...)
	}
	if want("access") {
		add(checkAccess(ctx, opts, s)...)
	}
	if want("redis") {
		add(checkRedis(ctx, opts))
	}
	if want("postgres") {
		add(checkPostgres(ctx, opts))
	}
	if want("app-db") {
		add(checkAppDatabase(ctx, opts)...)
	}

	r.Summary = map[Status]int{Pass: 0, Warn: 0, Fail: 0, Skip: 0}
	r.OK = true
	for _, c := range r.Checks {
		r.Summary[c.Status]++
		if c.Status == Fail {
			r.OK = false
		}
	}
	return r, nil
}

// skipped is a Result for a check that did not run.
func skipped(name, why string) Result {
	return Result{Name: name, Status: Skip, Detail: why}
}
