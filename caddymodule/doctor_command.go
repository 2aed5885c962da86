package caddymodule

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/doctor"
)

func init() {
	modkit.AddOcommsCommand(doctorCommand())
}

// errDoctorFailed ends `caddy ocomms doctor` with exit code 1 after the
// report has been printed.
var errDoctorFailed = errors.New("doctor: at least one check failed")

// doctorFlags are the command line of `caddy ocomms doctor`.
type doctorFlags struct {
	url, httpURL, admin, redis, postgres, appDB, resolve string
	unlockURL, betterAuthURL, betterAuthTrusted          string
	cacerts, only                                        []string
	json, provoke429                                     bool
	timeout, total                                       time.Duration
}

// doctorCommand is `caddy ocomms doctor`: a thin adapter over doctor.Run.
func doctorCommand() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor --url https://chat.example.com [flags]",
		Short: "Checks a running edge: redirect, headers, certificate, Redis, PostgreSQL, app database TLS",
		Long: `
Checks a running OComms edge from the outside and prints one line per check
(PASS, WARN, FAIL, SKIP) with a fix under every warning and failure. The exit
code is 1 when any check failed, 0 otherwise (warnings do not fail).

Checks: HTTP→HTTPS redirect; CSP (no 'unsafe-inline'/'unsafe-eval' in
script-src), HSTS ≥ 1 year, frame protection, nosniff, Referrer-Policy and
Permissions-Policy on /, on a 404 and (with --provoke-429) on a 429; the served
certificate's chain, expiry and renewal; the admin API's upstreams and audit
queue; that the page the lock answer offers (unlock_url) exists; the admin IP
allowlist (off, or open to 0.0.0.0/0 or ::/0), trusted proxies so wide or lax
that a client can choose its address, and whether BETTER_AUTH_URL and
BETTER_AUTH_TRUSTED_ORIGINS agree with the edge's allowed origins; Redis reachability, latency and TLS; PostgreSQL TLS and verification;
and whether the app's DATABASE_URL and its server enforce TLS (SEC-05).

Secrets are never printed. Pass database and Redis URLs through the
environment rather than flags where you can (flags show in ps):
--redis defaults to $OCOMMS_REDIS_URL, --postgres to $OCOMMS_POSTGRES_URL,
--app-database-url to $OCOMMS_APP_DATABASE_URL, --better-auth-url to $BETTER_AUTH_URL,
--better-auth-trusted-origins to $BETTER_AUTH_TRUSTED_ORIGINS and --url to https://<first name in $OCOMMS_SITE>.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runDoctor(c, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "the site's public HTTPS address (default: https://$OCOMMS_SITE)")
	fl.StringVar(&f.httpURL, "http-url", "", "the plain-HTTP address whose redirect to check (default: http://<host>/)")
	fl.StringVar(&f.admin, "admin", "localhost:2019", "Caddy's admin API address; empty skips the admin checks")
	// URL defaults come from the environment at run time, never as flag
	// defaults: --help prints defaults, and these carry passwords.
	fl.StringVar(&f.redis, "redis", "", "the edge's Redis URL (default: $OCOMMS_REDIS_URL)")
	fl.StringVar(&f.postgres, "postgres", "", "the edge's PostgreSQL URL, the audit store (default: $OCOMMS_POSTGRES_URL)")
	fl.StringVar(&f.appDB, "app-database-url", "", "the OComms app's DATABASE_URL, to check SEC-05 (default: $OCOMMS_APP_DATABASE_URL)")
	fl.StringSliceVar(&f.cacerts, "cacert", nil, "PEM file of extra trusted roots (a local or private CA); repeatable")
	fl.StringVar(&f.unlockURL, "unlock-url", "", "the lock answer's unlock page to check (default: every ocomms_auth_guard's unlock_url, from the admin API)")
	fl.StringVar(&f.betterAuthURL, "better-auth-url", "", "the app's BETTER_AUTH_URL, compared with the edge's allowed origins (default: $BETTER_AUTH_URL)")
	fl.StringVar(&f.betterAuthTrusted, "better-auth-trusted-origins", "", "the app's BETTER_AUTH_TRUSTED_ORIGINS, each expected among the edge's allowed origins (default: $BETTER_AUTH_TRUSTED_ORIGINS)")
	fl.StringVar(&f.resolve, "resolve", "", "connect to this address for the site's host (e.g. 127.0.0.1 inside the container)")
	fl.StringSliceVar(&f.only, "only", nil, "run only these groups: "+strings.Join(doctor.Groups, ","))
	fl.BoolVar(&f.json, "json", false, "print one JSON object with every check")
	fl.BoolVar(&f.provoke429, "provoke-429", false, "send failing sign-ins for a throwaway email until a 429, to check its headers (spends part of this address's sign-in budget)")
	fl.DurationVar(&f.timeout, "timeout", doctor.DefaultTimeout, "timeout of each network operation")
	fl.DurationVar(&f.total, "total-timeout", 2*time.Minute, "timeout of the whole run")
	return cmd
}

// envURL is https://<first site of $OCOMMS_SITE>, or "".
func envURL() string {
	sites := strings.FieldsFunc(os.Getenv("OCOMMS_SITE"), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	if len(sites) == 0 {
		return ""
	}
	site := sites[0]
	if strings.Contains(site, "://") {
		return site
	}
	return "https://" + site
}

// runDoctor runs the checks and prints the report.
func runDoctor(c *cobra.Command, f doctorFlags) error {
	fromEnv := func(flag string, v *string, env string) {
		if !c.Flags().Changed(flag) {
			*v = os.Getenv(env)
		}
	}
	if !c.Flags().Changed("url") {
		f.url = envURL()
	}
	fromEnv("redis", &f.redis, "OCOMMS_REDIS_URL")
	fromEnv("postgres", &f.postgres, "OCOMMS_POSTGRES_URL")
	fromEnv("app-database-url", &f.appDB, "OCOMMS_APP_DATABASE_URL")
	fromEnv("better-auth-url", &f.betterAuthURL, "BETTER_AUTH_URL")
	fromEnv("better-auth-trusted-origins", &f.betterAuthTrusted, "BETTER_AUTH_TRUSTED_ORIGINS")
	opts := doctor.Options{
		URL:                      f.url,
		HTTPURL:                  f.httpURL,
		Admin:                    f.admin,
		AdminRequired:            c.Flags().Changed("admin"),
		RedisURL:                 f.redis,
		PostgresURL:              f.postgres,
		AppDatabaseURL:           f.appDB,
		UnlockURL:                f.unlockURL,
		BetterAuthURL:            f.betterAuthURL,
		BetterAuthTrustedOrigins: f.betterAuthTrusted,
		Resolve:                  f.resolve,
		Only:                     f.only,
		Provoke429:               f.provoke429,
		Timeout:                  f.timeout,
	}
	if len(f.cacerts) > 0 {
		pool, err := rootsWith(f.cacerts)
		if err != nil {
			return err
		}
		opts.RootCAs = pool
	}
	ctx, cancel := context.WithTimeout(c.Context(), f.total)
	defer cancel()
	report, err := doctor.Run(ctx, opts)
	if err != nil {
		return err
	}
	out := c.OutOrStdout()
	if f.json {
		err = report.WriteJSON(out)
	} else {
		err = report.WriteText(out)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if !report.OK {
		// The report says what failed; exit 1 without cobra's usage text.
		c.SilenceUsage, c.SilenceErrors = true, true
		return errDoctorFailed
	}
	return nil
}

// rootsWith returns the system roots plus the certificates in files.
func rootsWith(files []string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading --cacert: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate in it", f)
		}
	}
	return pool, nil
}
