package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/auditlog/sink/jsonl"
)

// Settings is an audit configuration with placeholders resolved and
// defaults applied: what a pipeline is built from, and (hashed) its pool
// key.
type Settings struct {
	Disabled           bool
	Base               string // default directory
	Instance           string // "" = the host name (the pipeline picks it)
	Spool              string
	SigningKey         string
	Fsync              time.Duration
	QueueSize          int
	CheckpointInterval time.Duration
	CheckpointEvery    int
	RetryMax           time.Duration
	LogFormat          string
	LogOff             bool
	JSONLOff           bool
	Dir                string // JSONL directory
	RetentionDays      int
	PostgresURL        string // secret: never logged, never in errors
	PGInsecure         bool
	PGUnverified       bool
	PGRetentionDays    int
	PGPartitionsAhead  int
	PGBatchSize        int
	PGMaxConns         int
	PGWriteTimeout     time.Duration
}

// Check validates s and normalises its log format ("" means ecs). It
// touches no file and opens no connection.
func (s *Settings) Check() error {
	if s.Disabled {
		return nil
	}
	if s.Instance != "" {
		if err := record.ValidInstance(s.Instance); err != nil {
			return err
		}
	}
	switch s.LogFormat {
	case "", "ecs":
		s.LogFormat = "ecs"
	case "ocsf":
	default:
		return fmt.Errorf("audit log_format %q: use ecs or ocsf", s.LogFormat)
	}
	if s.Fsync < 0 || s.CheckpointInterval < 0 || s.RetryMax < 0 || s.QueueSize < 0 || s.CheckpointEvery < 0 {
		return errors.New("audit durations and sizes must not be negative")
	}
	if s.CheckpointInterval > time.Second || s.CheckpointEvery > pipeline.DefaultCheckpointEvery {
		return fmt.Errorf("audit checkpoints must be at most 1s and %d events apart", pipeline.DefaultCheckpointEvery)
	}
	if s.PGPartitionsAhead < 0 || s.PGBatchSize < 0 || s.PGMaxConns < 0 || s.PGMaxConns > 1000 || s.PGWriteTimeout < 0 {
		return errors.New("audit postgres: partitions_ahead, batch_size, max_conns (at most 1000) and write_timeout must be positive")
	}
	if s.JSONLOff && s.PostgresURL == "" && s.LogOff {
		return errors.New("audit: jsonl off, no postgres and log off leave no sink; use 'audit off' to turn the log off")
	}
	return nil
}

// Days is a retention in days as configured: 0 means the default 90,
// negative keeps everything (-1).
func Days(n int) int {
	switch {
	case n == 0:
		return jsonl.DefaultRetentionDays
	case n < 0:
		return -1
	}
	return n
}

// Key is the pool key: a hash, so the Postgres password is not kept in
// the clear as a map key.
func (s Settings) Key() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%#v", s)))
	return "audit:" + hex.EncodeToString(sum[:])
}

// Chain names the chain the settings write: the spool directory holds one
// instance (the pipeline locks it), so two pipelines on one spool must
// never overlap.
func (s Settings) Chain() string { return s.Spool }

// Sinks names the configured sinks.
func (s Settings) Sinks() []string {
	var out []string
	if !s.LogOff {
		out = append(out, "zap")
	}
	if !s.JSONLOff {
		out = append(out, "jsonl")
	}
	if s.PostgresURL != "" {
		out = append(out, "postgres")
	}
	return out
}
