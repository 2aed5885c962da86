package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// fixHBA is the pg_hba.conf change that makes the server refuse plaintext.
const fixHBA = "in pg_hba.conf use `hostssl` lines for remote users (e.g. `hostssl all all 0.0.0.0/0 scram-sha-256`) and add `hostnossl all all 0.0.0.0/0 reject` (and ::/0) before any `host` line; then `SELECT pg_reload_conf()`"

// fixServerTLS is how to turn TLS on in PostgreSQL.
const fixServerTLS = "set `ssl = on` with ssl_cert_file/ssl_key_file in postgresql.conf (OComms: scripts/generate-db-certs.sh; postgres image: `-c ssl=on -c ssl_cert_file=… -c ssl_key_file=…`)"

// pgSession is what a connected session reports about itself.
type pgSession struct {
	ssl     bool
	version string // TLS version
	cipher  string
	server  string // server_version
	peer    []*x509.Certificate
}

// pgQuery asks the session about its own TLS state (pg_stat_ssl).
func pgQuery(ctx context.Context, conn *pgx.Conn) (pgSession, error) {
	var s pgSession
	err := conn.QueryRow(ctx, `SELECT coalesce(s.ssl, false), coalesce(s.version, ''), coalesce(s.cipher, ''), current_setting('server_version')
		FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()`).Scan(&s.ssl, &s.version, &s.cipher, &s.server)
	if err != nil {
		return s, fmt.Errorf("querying pg_stat_ssl: %w", err)
	}
	if tc, ok := conn.PgConn().Conn().(*tls.Conn); ok {
		s.peer = tc.ConnectionState().PeerCertificates
	}
	return s, nil
}

// pgConnect connects with cfg within the timeout and reads the session.
func pgConnect(ctx context.Context, cfg *pgx.ConnConfig, timeout time.Duration) (pgSession, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cfg.ConnectTimeout = timeout
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return pgSession{}, err
	}
	defer conn.Close(context.Background())
	return pgQuery(cctx, conn)
}

// setRoots makes verify-ca/verify-full use roots when the string names no
// sslrootcert.
func setRoots(cfg *pgx.ConnConfig, raw string, roots *x509.CertPool) {
	if roots == nil || strings.Contains(raw, "sslrootcert") {
		return
	}
	set := func(t *tls.Config) {
		if t != nil {
			t.RootCAs = roots
		}
	}
	set(cfg.TLSConfig)
	for _, fb := range cfg.Fallbacks {
		set(fb.TLSConfig)
	}
}

// checkPostgres checks the edge's own PostgreSQL (the audit store):
// reachable, TLS in use, and verified.
func checkPostgres(ctx context.Context, opts Options) Result {
	const name = "postgres"
	if opts.PostgresURL == "" {
		return skipped(name, "no --postgres URL")
	}
	shown := RedactURL(opts.PostgresURL)
	secret := urlPassword(opts.PostgresURL)
	cfg, err := pgx.ParseConfig(opts.PostgresURL)
	if err != nil {
		return Result{Name: name, Status: Fail, Detail: "parsing " + shown + ": " + scrub(err, secret), Fix: "postgres://user:password@host:5432/db?sslmode=verify-full"}
	}
	secret = cfg.Password
	setRoots(cfg, opts.PostgresURL, opts.RootCAs)
	mode := effectiveSSLMode(opts.PostgresURL)
	s, err := pgConnect(ctx, cfg, opts.Timeout)
	if err != nil {
		return Result{Name: name, Status: Fail, Detail: shown + ": " + scrub(err, secret), Fix: pgConnectFix(err, mode)}
	}
	loop := isLoopbackHost(cfg.Host)
	data := map[string]any{"tls": s.ssl, "tls_version": s.version, "sslmode": mode, "server_version": s.server}
	detail := fmt.Sprintf("%s: PostgreSQL %s, ", shown, s.server)
	res := Result{Name: name, Status: Pass, Data: data}
	switch {
	case !s.ssl && loop:
		res.Detail = detail + "no TLS (loopback: fine)"
	case !s.ssl:
		res.Status, res.Detail = Fail, detail+"no TLS to a host that is not loopback: audit events and the password cross the network in clear"
		res.Fix = "sslmode=verify-full&sslrootcert=<CA file> in the URL; " + fixServerTLS
	case mode == "verify-full":
		res.Detail = detail + fmt.Sprintf("TLS (%s, %s), certificate verified (sslmode=verify-full)", s.version, s.cipher)
	case loop:
		res.Detail = detail + fmt.Sprintf("TLS (%s), certificate not verified (sslmode=%s; loopback: fine)", s.version, mode)
	default:
		res.Status = Warn
		res.Detail = detail + fmt.Sprintf("TLS (%s) but the certificate is not verified (sslmode=%s): an active attacker can impersonate the server", s.version, mode)
		res.Fix = "sslmode=verify-full&sslrootcert=<the server's CA file> in the URL"
	}
	return res
}

// pgConnectFix suggests a fix for a failed connection.
func pgConnectFix(err error, mode string) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate") || strings.Contains(msg, "x509"):
		return "the server certificate did not verify (sslmode=" + mode + "): name its CA with sslrootcert=<file> or --cacert, and make the certificate name the host"
	case strings.Contains(msg, "server refused TLS"), strings.Contains(msg, "does not support SSL"):
		return fixServerTLS
	case strings.Contains(msg, "password authentication failed"), strings.Contains(msg, "28P01"):
		return "check the user and password in the URL"
	}
	return "check that PostgreSQL runs and is reachable from here (host, port, firewall) and that the URL's user and database exist"
}

// appConfig builds a pgx config for the app's DATABASE_URL with the given
// sslmode, keeping only the parameters libpq defines (Prisma and
// node-postgres add their own, which PostgreSQL would refuse as settings).
func appConfig(raw, sslmode string) (*pgx.ConnConfig, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("not a postgres:// or postgresql:// URL")
	}
	q := url.Values{}
	for _, k := range []string{"sslrootcert", "sslcert", "sslkey"} {
		if v := u.Query().Get(k); v != "" {
			if _, err := os.Stat(v); err == nil {
				q.Set(k, v)
			}
		}
	}
	q.Set("sslmode", sslmode)
	q.Set("application_name", "ocomms-doctor")
	clean := url.URL{Scheme: "postgres", User: u.User, Host: u.Host, Path: u.Path, RawQuery: q.Encode()}
	return pgx.ParseConfig(clean.String())
}

// checkAppDatabase checks SEC-05 for the app: what its DATABASE_URL asks
// for, whether the server offers TLS, and whether it refuses plaintext.
func checkAppDatabase(ctx context.Context, opts Options) []Result {
	names := []string{"app db url", "app db server tls", "app db plaintext refused"}
	if opts.AppDatabaseURL == "" {
		return []Result{skipped(names[0], "no --app-database-url"), skipped(names[1], "no --app-database-url"), skipped(names[2], "no --app-database-url")}
	}
	raw := opts.AppDatabaseURL
	shown := RedactURL(raw)
	secret := urlPassword(raw)
	if _, err := appConfig(raw, "disable"); err != nil {
		r := Result{Name: names[0], Status: Fail, Detail: shown + ": " + scrub(err, secret), Fix: "pass the app's DATABASE_URL, postgresql://user:password@db:5432/ocomms?sslmode=verify-full"}
		return []Result{r, skipped(names[1], "unusable URL"), skipped(names[2], "unusable URL")}
	}
	host := ""
	if u, err := url.Parse(raw); err == nil {
		host = u.Hostname()
	}
	return []Result{
		appURLResult(names[0], shown, appTLSPolicy(raw)),
		appServerTLS(ctx, opts, names[1], raw, host, secret),
		appPlaintext(ctx, opts, names[2], raw, secret),
	}
}

// appURLResult judges the URL's own TLS settings.
func appURLResult(name, shown string, p tlsPolicy) Result {
	data := map[string]any{"sslmode": p.mode, "allows_plaintext": p.plaintext, "verified": p.verified}
	switch {
	case p.plaintext:
		return Result{Name: name, Status: Warn, Detail: shown + ": allows plaintext: " + p.note +
			" (OComms ≥ 0.2.0 forces TLS in production code, but migrations and tools read the URL as it is)",
			Fix: "add ?sslmode=verify-full&sslrootcert=<CA file> to DATABASE_URL (or at least sslmode=require)", Data: data}
	case !p.verified:
		return Result{Name: name, Status: Warn, Detail: shown + ": " + p.note, Fix: "sslmode=verify-full&sslrootcert=<CA file>, so the app checks whom it talks to", Data: data}
	}
	return Result{Name: name, Status: Pass, Detail: shown + ": " + p.note, Data: data}
}

// appServerTLS connects with TLS required (the password only ever goes
// inside TLS) and reports the session's TLS and whether the certificate
// verifies for the host.
func appServerTLS(ctx context.Context, opts Options, name, raw, host, secret string) Result {
	cfg, err := appConfig(raw, "require")
	if err != nil {
		return Result{Name: name, Status: Fail, Detail: scrub(err, secret)}
	}
	s, err := pgConnect(ctx, cfg, opts.Timeout)
	if err != nil {
		msg := scrub(err, secret, cfg.Password)
		if strings.Contains(msg, "refused TLS") || strings.Contains(msg, "does not support SSL") {
			return Result{Name: name, Status: Fail, Detail: "the server offers no TLS: " + msg, Fix: fixServerTLS}
		}
		return Result{Name: name, Status: Fail, Detail: "connecting with TLS required: " + msg, Fix: pgConnectFix(err, "require")}
	}
	if !s.ssl {
		return Result{Name: name, Status: Fail, Detail: "connected, but pg_stat_ssl says the session is not encrypted", Fix: fixServerTLS}
	}
	verify := "certificate not verified (no peer certificate)"
	data := map[string]any{"tls_version": s.version, "cipher": s.cipher, "server_version": s.server, "verified": false}
	if len(s.peer) > 0 {
		inter := x509.NewCertPool()
		for _, c := range s.peer[1:] {
			inter.AddCert(c)
		}
		if _, err := s.peer[0].Verify(x509.VerifyOptions{DNSName: host, Roots: opts.RootCAs, Intermediates: inter}); err != nil {
			verify = "certificate does not verify for " + host + " against " + rootsLabel(opts.RootCAs) + ": " + err.Error()
		} else {
			verify = "certificate verified for " + host
			data["verified"] = true
		}
	}
	return Result{Name: name, Status: Pass, Detail: fmt.Sprintf("PostgreSQL %s offers TLS (%s, %s); %s", s.server, s.version, s.cipher, verify), Data: data}
}

// rootsLabel names the roots in use.
func rootsLabel(roots *x509.CertPool) string {
	if roots == nil {
		return "the system roots (pass --cacert with the database's CA)"
	}
	return "--cacert"
}

// appPlaintext tries a connection without TLS and without any password
// (require_auth=none: the client refuses to answer a password request, so
// nothing secret crosses in clear). The server refusing it in pg_hba.conf
// ("no encryption") is the pass; a session, or a password request, means
// plaintext is accepted for this user.
func appPlaintext(ctx context.Context, opts Options, name, raw, secret string) Result {
	cfg, err := appConfig(raw, "disable")
	if err != nil {
		return Result{Name: name, Status: Fail, Detail: scrub(err, secret)}
	}
	cfg.Password = ""
	cfg.TLSConfig = nil
	cfg.Fallbacks = nil
	probe, err := pgx.ParseConfig(plaintextProbeDSN(cfg))
	if err != nil {
		return Result{Name: name, Status: Fail, Detail: scrub(err, secret)}
	}
	probe.Password = ""
	user := cfg.User
	_, err = pgConnect(ctx, probe, opts.Timeout)
	if err == nil {
		return Result{Name: name, Status: Fail,
			Detail: fmt.Sprintf("the server accepted a plaintext session for user %q with no password at all (trust authentication without TLS)", user),
			Fix:    fixHBA + "; and never `trust` for remote hosts"}
	}
	msg := scrub(err, secret)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && strings.Contains(pgErr.Message, "no encryption"):
		return Result{Name: name, Status: Pass, Detail: fmt.Sprintf("the server refuses plaintext for user %q: %s", user, pgErr.Message)}
	case strings.Contains(msg, "require_auth"):
		return Result{Name: name, Status: Fail,
			Detail: fmt.Sprintf("the server accepted a plaintext connection for user %q and asked for its password (the probe sent none)", user),
			Fix:    fixHBA}
	case errors.As(err, &pgErr):
		return Result{Name: name, Status: Fail,
			Detail: fmt.Sprintf("the server accepted a plaintext connection for user %q up to authentication: %s", user, pgErr.Message),
			Fix:    fixHBA}
	}
	return Result{Name: name, Status: Warn, Detail: "plaintext probe inconclusive: " + msg, Fix: "check that the server is reachable from here"}
}

// plaintextProbeDSN is a key/value string for a no-TLS, no-password,
// no-auth-answer connection to cfg's host, port, user and database.
func plaintextProbeDSN(cfg *pgx.ConnConfig) string {
	quote := func(s string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	return strings.Join([]string{
		"host=" + quote(cfg.Host),
		"port=" + strconv.Itoa(int(cfg.Port)),
		"user=" + quote(cfg.User),
		"dbname=" + quote(cfg.Database),
		"sslmode=disable",
		"require_auth=none",
		"passfile=" + quote(os.DevNull),
		"application_name=ocomms-doctor-plaintext-probe",
	}, " ")
}
