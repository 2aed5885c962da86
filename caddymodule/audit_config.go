package caddymodule

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/auditlog"
)

// AuditConfig is the audit part of the ocomms app: where the security
// audit log goes. With no audit block at all the log is on, in daily JSONL
// files under Caddy's data directory plus the `ocomms.audit` logger.
type AuditConfig struct {
	// Disabled turns the audit log off: events are dropped.
	Disabled bool `json:"disabled,omitempty"`

	// File is the directory of the daily JSONL files. Placeholders such as
	// {env.OCOMMS_AUDIT_FILE} are resolved at provision time. Default:
	// <caddy data dir>/ocomms-audit.
	File string `json:"file,omitempty"`

	// Retention is how long JSONL files are kept. Default: 90d.
	Retention caddy.Duration `json:"retention,omitempty"`

	// Spool is the directory of the durable spool that holds events while
	// a sink is down or slow. Default: <file>/spool.
	Spool string `json:"spool,omitempty"`

	// Fsync is how often the spool is synced to disk: the most a killed
	// edge can lose. Default: 100ms.
	Fsync caddy.Duration `json:"fsync,omitempty"`

	// SigningKey is the file holding the Ed25519 key that signs
	// checkpoints. Default: <file>/checkpoint.key, created on first start.
	SigningKey string `json:"signing_key,omitempty"`

	// Instance names this edge's chain: letters, digits and ".-_:", at
	// most 128 bytes. Instances sharing a store must use distinct names.
	// Default: the host name.
	Instance string `json:"instance,omitempty"`

	// Format is the shape of the records in the zap log: ecs or ocsf.
	// Stored records are always ECS. Default: ecs.
	Format string `json:"format,omitempty"`

	// Postgres adds the PostgreSQL sink.
	Postgres *AuditPostgresConfig `json:"postgres,omitempty"`
}

// AuditPostgresConfig is the PostgreSQL sink of the audit log.
type AuditPostgresConfig struct {
	// URL is a postgres:// connection string; use {env.OCOMMS_POSTGRES_URL}
	// so the password stays out of the saved config. An empty result
	// (e.g. an unset variable) means no PostgreSQL sink.
	URL string `json:"url,omitempty"`
	// InsecureAllowUnverifiedTLS allows sslmode=require or verify-ca (TLS
	// without checking the server's name) to a host that is not loopback.
	// Default: refused (SEC-05).
	InsecureAllowUnverifiedTLS bool `json:"insecure_allow_unverified_tls,omitempty"`
	// InsecureAllowPlaintext allows any sslmode, clear text included, to a
	// host that is not loopback. Default: refused (SEC-05).
	InsecureAllowPlaintext bool `json:"insecure_allow_plaintext,omitempty"`
	// Retention is how long daily partitions are kept. Default: 90d.
	Retention caddy.Duration `json:"retention,omitempty"`
}

// Defaults of the audit settings.
const (
	defaultAuditRetention = 90 * 24 * time.Hour
	defaultAuditFsync     = 100 * time.Millisecond
)

// auditSettings is an AuditConfig with placeholders resolved and defaults
// applied: what a pipeline is built from, and (hashed) its pool key.
type auditSettings struct {
	Disabled     bool
	Dir          string
	Retention    time.Duration
	Spool        string
	Fsync        time.Duration
	SigningKey   string
	Instance     string
	Format       string
	PostgresURL  string // secret: never logged, never in errors
	PGInsecure   bool
	PGUnverified bool
	PGRetention  time.Duration
}

// resolve applies placeholders and defaults. It touches no file and opens
// no connection.
func (c *AuditConfig) resolve(repl *caddy.Replacer) (auditSettings, error) {
	var s auditSettings
	if c == nil {
		c = &AuditConfig{}
	}
	if c.Disabled {
		return auditSettings{Disabled: true}, nil
	}
	s.Dir = strings.TrimSpace(repl.ReplaceKnown(c.File, ""))
	if s.Dir == "" {
		s.Dir = filepath.Join(caddy.AppDataDir(), "ocomms-audit")
	}
	s.Dir = filepath.Clean(s.Dir)
	s.Retention = durationOr(c.Retention, defaultAuditRetention)
	s.Spool = strings.TrimSpace(repl.ReplaceKnown(c.Spool, ""))
	if s.Spool == "" {
		s.Spool = filepath.Join(s.Dir, "spool")
	}
	s.Fsync = durationOr(c.Fsync, defaultAuditFsync)
	s.SigningKey = strings.TrimSpace(repl.ReplaceKnown(c.SigningKey, ""))
	if s.SigningKey == "" {
		s.SigningKey = filepath.Join(s.Dir, "checkpoint.key")
	}
	s.Instance = strings.TrimSpace(repl.ReplaceKnown(c.Instance, ""))
	if s.Instance != "" {
		if err := auditlog.ValidInstance(s.Instance); err != nil {
			return s, err
		}
	}
	switch c.Format {
	case "", "ecs":
		s.Format = "ecs"
	case "ocsf":
		s.Format = "ocsf"
	default:
		return s, fmt.Errorf("audit format %q: use ecs or ocsf", c.Format)
	}
	if c.Retention < 0 || c.Fsync < 0 {
		return s, fmt.Errorf("audit retention and fsync must not be negative")
	}
	if c.Postgres != nil {
		s.PostgresURL = strings.TrimSpace(repl.ReplaceKnown(c.Postgres.URL, ""))
		s.PGInsecure = c.Postgres.InsecureAllowPlaintext
		s.PGUnverified = c.Postgres.InsecureAllowUnverifiedTLS
		s.PGRetention = durationOr(c.Postgres.Retention, defaultAuditRetention)
	}
	return s, nil
}

// key is the pool key: a hash, so the Postgres password is not kept in
// the clear as a map key.
func (s auditSettings) key() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%#v", s)))
	return "audit:" + hex.EncodeToString(sum[:])
}

func durationOr(d caddy.Duration, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}
