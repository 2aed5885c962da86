package auditmod

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/auditlog/setup"
)

// AuditConfig is the audit part of the ocomms app: where the security
// audit log goes. With no audit block at all the log is on, in daily JSONL
// files under Caddy's data directory plus the `ocomms.audit` logger.
type AuditConfig struct {
	// Disabled turns the audit log off: events are dropped.
	Disabled bool `json:"disabled,omitempty"`

	// Instance names this edge's chain: letters, digits and ".-_:", at
	// most 128 bytes. Instances sharing a store must use distinct names.
	// Default: the host name.
	Instance string `json:"instance,omitempty"`

	// SpoolDir is the durable local spool that holds events until every
	// sink has them (one instance per directory). Default: spool/ in the
	// JSONL directory (<caddy data dir>/ocomms-audit/spool with jsonl off).
	SpoolDir string `json:"spool_dir,omitempty"`

	// SigningKeyFile holds the Ed25519 key that signs checkpoints (PEM,
	// mode 0600; created when missing). Default: checkpoint.key in the
	// JSONL directory (<caddy data dir>/ocomms-audit with jsonl off).
	SigningKeyFile string `json:"signing_key_file,omitempty"`

	// FsyncInterval is how often the spool is written and fsynced: the
	// most a killed edge can lose. Default: 100ms.
	FsyncInterval caddy.Duration `json:"fsync_interval,omitempty"`

	// QueueSize bounds the events waiting for the next spool write.
	// Default: 65536.
	QueueSize int `json:"queue_size,omitempty"`

	// CheckpointInterval and CheckpointEvery bound the distance between
	// signed checkpoints. Defaults (and maxima): 1s and 10000 events.
	CheckpointInterval caddy.Duration `json:"checkpoint_interval,omitempty"`
	CheckpointEvery    int            `json:"checkpoint_every,omitempty"`

	// RetryMax caps the backoff between retries of a failing sink.
	// Default: 30s.
	RetryMax caddy.Duration `json:"retry_max,omitempty"`

	// LogFormat is the shape of the records mirrored to the zap logger
	// ocomms.audit: ecs or ocsf. Stored records are always ECS.
	// Default: ecs.
	LogFormat string `json:"log_format,omitempty"`

	// LogOff turns the zap mirror off.
	LogOff bool `json:"log_off,omitempty"`

	// JSONL is the daily JSONL store. Default: on, in
	// <caddy data dir>/ocomms-audit.
	JSONL *AuditJSONLConfig `json:"jsonl,omitempty"`

	// Postgres adds the PostgreSQL sink; queries and the admin API then
	// use it.
	Postgres *AuditPostgresConfig `json:"postgres,omitempty"`
}

// AuditJSONLConfig is the JSONL store of the audit log.
type AuditJSONLConfig struct {
	// Off turns the JSONL store off.
	Off bool `json:"off,omitempty"`
	// Dir holds the day files audit-YYYY-MM-DD.jsonl. Use
	// {env.OCOMMS_AUDIT_FILE} to take it from the environment; an empty
	// result means the default, <caddy data dir>/ocomms-audit.
	Dir string `json:"dir,omitempty"`
	// RetentionDays is how many days of files are kept; -1 keeps all.
	// Default: 90.
	RetentionDays int `json:"retention_days,omitempty"`
}

// AuditPostgresConfig is the PostgreSQL sink of the audit log.
type AuditPostgresConfig struct {
	// URL is a postgres:// connection string; use {env.OCOMMS_POSTGRES_URL}
	// so the password stays out of the saved config. An empty result
	// (e.g. an unset variable) means no PostgreSQL sink. Off loopback it
	// must say sslmode=verify-full.
	URL string `json:"url,omitempty"`
	// InsecureAllowUnverifiedTLS allows sslmode=require or verify-ca (TLS
	// without checking the server's name) to a host that is not loopback.
	// Default: refused (SEC-05).
	InsecureAllowUnverifiedTLS bool `json:"insecure_allow_unverified_tls,omitempty"`
	// InsecureAllowPlaintext allows any sslmode, clear text included, to a
	// host that is not loopback. Default: refused (SEC-05).
	InsecureAllowPlaintext bool `json:"insecure_allow_plaintext,omitempty"`
	// RetentionDays is how many daily partitions are kept; -1 keeps all.
	// Default: 90.
	RetentionDays int `json:"retention_days,omitempty"`
	// PartitionsAhead is how many future days get a partition in advance.
	// Default: 3.
	PartitionsAhead int `json:"partitions_ahead,omitempty"`
	// BatchSize caps the rows of one COPY. Default: 1000.
	BatchSize int `json:"batch_size,omitempty"`
	// MaxConns caps the connection pool. Default: 4.
	MaxConns int `json:"max_conns,omitempty"`
	// WriteTimeout bounds one batch, so a black-holed connection is
	// retried. Default: 15s.
	WriteTimeout caddy.Duration `json:"write_timeout,omitempty"`
}

// defaultAuditBase is where the audit log lives without configuration.
func defaultAuditBase() string { return filepath.Join(caddy.AppDataDir(), "ocomms-audit") }

// resolve applies placeholders and defaults. It touches no file and opens
// no connection.
func (c *AuditConfig) resolve(repl *caddy.Replacer) (setup.Settings, error) {
	if c == nil {
		c = &AuditConfig{}
	}
	if c.Disabled {
		return setup.Settings{Disabled: true}, nil
	}
	path := func(raw, def string) string {
		if v := strings.TrimSpace(repl.ReplaceKnown(raw, "")); v != "" {
			return filepath.Clean(v)
		}
		return def
	}
	s := setup.Settings{
		Base:               defaultAuditBase(),
		Fsync:              time.Duration(c.FsyncInterval),
		QueueSize:          c.QueueSize,
		CheckpointInterval: time.Duration(c.CheckpointInterval),
		CheckpointEvery:    c.CheckpointEvery,
		RetryMax:           time.Duration(c.RetryMax),
		LogOff:             c.LogOff,
	}
	j := c.JSONL
	if j == nil {
		j = &AuditJSONLConfig{}
	}
	s.JSONLOff = j.Off
	s.Dir = path(j.Dir, s.Base)
	s.RetentionDays = setup.Days(j.RetentionDays)
	if !s.JSONLOff {
		s.Base = s.Dir // the spool and the key live beside the files
	}
	s.Spool = path(c.SpoolDir, filepath.Join(s.Base, "spool"))
	s.SigningKey = path(c.SigningKeyFile, filepath.Join(s.Base, "checkpoint.key"))
	s.Instance = strings.TrimSpace(repl.ReplaceKnown(c.Instance, ""))
	s.LogFormat = c.LogFormat
	if c.Postgres != nil {
		s.PostgresURL = strings.TrimSpace(repl.ReplaceKnown(c.Postgres.URL, ""))
		s.PGInsecure = c.Postgres.InsecureAllowPlaintext
		s.PGUnverified = c.Postgres.InsecureAllowUnverifiedTLS
		s.PGRetentionDays = setup.Days(c.Postgres.RetentionDays)
		s.PGPartitionsAhead = c.Postgres.PartitionsAhead
		s.PGBatchSize = c.Postgres.BatchSize
		s.PGMaxConns = c.Postgres.MaxConns
		s.PGWriteTimeout = time.Duration(c.Postgres.WriteTimeout)
	}
	if err := s.Check(); err != nil {
		return s, err
	}
	return s, nil
}
