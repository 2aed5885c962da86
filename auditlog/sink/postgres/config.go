package postgres

import (
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/internal/defaults"
)

// PostgresURLEnv is the environment variable the edge's configuration
// reads the PostgreSQL sink's URL from by default.
const PostgresURLEnv = "OCOMMS_POSTGRES_URL"

// Defaults of PostgresConfig.
const (
	DefaultPostgresRetentionDays   = 90
	DefaultPostgresPartitionsAhead = 3
	DefaultPostgresBatchSize       = 1000
	DefaultPostgresMaxConns        = 4
	DefaultPostgresWriteTimeout    = 15 * time.Second
	DefaultPostgresConnectTimeout  = 5 * time.Second
)

// PostgresConfig configures the PostgreSQL sink.
type PostgresConfig struct {
	// URL is a libpq connection string, postgres://user:pass@host:port/db?
	// sslmode=verify-full&sslrootcert=/path/ca.pem (or key=value form).
	// Off loopback it must say sslmode=verify-full (SEC-05).
	URL string

	// InsecureAllowUnverifiedTLS accepts sslmode=require or verify-ca to a
	// host that is not loopback: the traffic is encrypted but the server's
	// name (require: also its certificate) is not checked, so a machine in
	// the path can impersonate the database. Default false: refused.
	InsecureAllowUnverifiedTLS bool
	// InsecureAllowPlaintext accepts any sslmode, including disable, allow
	// and prefer (pgx's default, which silently falls back to clear text),
	// to a host that is not loopback. It implies InsecureAllowUnverifiedTLS.
	// Default false: refused.
	InsecureAllowPlaintext bool

	// RetentionDays is how many daily partitions are kept (default 90);
	// older ones are dropped after a retention checkpoint is written.
	// Negative disables retention.
	RetentionDays int
	// PartitionsAhead is how many future days get a partition in advance
	// (default 3).
	PartitionsAhead int
	// BatchSize caps the rows of one COPY (default 1000); larger Write
	// batches are split.
	BatchSize int
	// MaxConns caps the pool (default 4).
	MaxConns int32
	// WriteTimeout bounds one Write (default 15s), so that a connection
	// black-holed by the network fails and is retried instead of hanging.
	WriteTimeout time.Duration
	// SigningKey signs the retention checkpoints written before partitions
	// are dropped (the pipeline's checkpoint key, so Verify trusts them).
	// Without it, or RetentionCheckpoint, no partition is ever dropped.
	SigningKey ed25519.PrivateKey
	// RetentionCheckpoint, when set, makes the retention checkpoints
	// instead of SigningKey (to also write them elsewhere).
	RetentionCheckpoint RetentionSigner
	// Logger receives the sink's own messages (named "postgres"); nil
	// discards them.
	Logger *zap.Logger
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// sslPolicyError explains a refused TLS setting without the URL's secrets.
func sslPolicyError(host, why string) error {
	return fmt.Errorf("postgres at %s: %s: use sslmode=verify-full (with sslrootcert=<CA file> or sslrootcert=system) off this machine (SEC-05), or set insecure_allow_unverified_tls / insecure_allow_plaintext", host, why)
}

// parsePostgresConfig turns the URL into a pool configuration, enforcing
// the TLS rule. It does no network I/O. Errors never carry the password.
func parsePostgresConfig(c PostgresConfig) (*pgxpool.Config, error) {
	raw := strings.TrimSpace(c.URL)
	if raw == "" {
		return nil, errors.New("postgres: empty URL")
	}
	pc, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("postgres: parsing the URL %s: %s", RedactPostgresURL(raw), scrubSecrets(raw, err.Error()))
	}
	if err := checkTLSPolicy(pc.ConnConfig.Config, c); err != nil {
		return nil, err
	}
	for _, tc := range tlsConfigs(pc.ConnConfig.Config) {
		if tc.MinVersion < tls.VersionTLS12 {
			tc.MinVersion = tls.VersionTLS12
		}
	}
	pc.MinConns = 0 // lazy: no connection until first use
	pc.MaxConns = c.MaxConns
	defaults.Positive(&pc.MaxConns, DefaultPostgresMaxConns)
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = DefaultPostgresConnectTimeout
	}
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	if pc.ConnConfig.RuntimeParams["application_name"] == "" {
		pc.ConnConfig.RuntimeParams["application_name"] = "ocomms-edge-audit"
	}
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	return pc, nil
}

func tlsConfigs(cfg pgconn.Config) []*tls.Config {
	out := []*tls.Config{}
	if cfg.TLSConfig != nil {
		out = append(out, cfg.TLSConfig)
	}
	for _, fb := range cfg.Fallbacks {
		if fb.TLSConfig != nil {
			out = append(out, fb.TLSConfig)
		}
	}
	return out
}

// checkTLSPolicy applies SEC-05 to every host pgx would try (the primary
// config and each fallback, which is how pgx implements prefer/allow and
// multi-host URLs): a host that is not loopback or a unix socket must be
// reached with TLS that verifies the certificate chain and the host name.
// It reads the parsed result rather than the sslmode text, so PGSSLMODE and
// other environment defaults pgx applies are covered too.
func checkTLSPolicy(cfg pgconn.Config, c PostgresConfig) error {
	tries := []struct {
		host string
		tls  *tls.Config
	}{{cfg.Host, cfg.TLSConfig}}
	for _, fb := range cfg.Fallbacks {
		tries = append(tries, struct {
			host string
			tls  *tls.Config
		}{fb.Host, fb.TLSConfig})
	}
	for _, try := range tries {
		if isLocalPostgresHost(try.host) || c.InsecureAllowPlaintext {
			continue
		}
		if try.tls == nil {
			return sslPolicyError(try.host, "a plaintext connection (sslmode disable, allow or prefer) would be possible")
		}
		if try.tls.InsecureSkipVerify && !c.InsecureAllowUnverifiedTLS {
			return sslPolicyError(try.host, "the server certificate or host name would not be verified (sslmode require or verify-ca)")
		}
	}
	return nil
}

// isLocalPostgresHost reports whether host is this machine: a unix socket
// directory, "localhost" or a loopback address.
func isLocalPostgresHost(host string) bool {
	if strings.HasPrefix(host, "/") || strings.HasPrefix(host, "@") {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// RedactPostgresURL returns the URL with its password replaced, for
// messages. A key=value connection string has its password= value masked;
// anything unparseable is withheld entirely.
func RedactPostgresURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "(unparseable URL withheld)"
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	fields := strings.Fields(raw)
	for i, f := range fields {
		if strings.HasPrefix(strings.ToLower(f), "password=") {
			fields[i] = "password=xxxxx"
		}
	}
	out := strings.Join(fields, " ")
	if strings.Contains(out, "'") {
		return "(quoted connection string withheld)"
	}
	return out
}

// scrubSecrets removes every password found in raw from msg.
func scrubSecrets(raw, msg string) string {
	for _, s := range secretsOf(raw) {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}

// secretsOf extracts the password candidates of a connection string, in
// both raw and percent-decoded form.
func secretsOf(raw string) []string {
	var out []string
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p, url.QueryEscape(p), url.PathEscape(p))
		}
		if p := u.Query().Get("password"); p != "" {
			out = append(out, p, url.QueryEscape(p))
		}
	} else if err == nil {
		if p := u.Query().Get("password"); p != "" {
			out = append(out, p, url.QueryEscape(p))
		}
	}
	// Userinfo by hand, for URLs url.Parse rejects.
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			userinfo := rest[:at]
			if c := strings.Index(userinfo, ":"); c >= 0 {
				out = append(out, userinfo[c+1:])
			}
		}
	}
	for _, f := range strings.Fields(raw) {
		if strings.HasPrefix(strings.ToLower(f), "password=") {
			out = append(out, strings.Trim(f[len("password="):], "'"))
		}
	}
	// Longest first so that a secret containing another is masked whole.
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if len(out[j]) > len(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
