package pipeline

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/internal/defaults"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// Defaults for Config.
const (
	DefaultFsyncInterval      = 100 * time.Millisecond
	DefaultQueueSize          = 65536
	DefaultCheckpointInterval = time.Second
	DefaultCheckpointEvery    = 10000
	DefaultSegmentSize        = 16 << 20
	DefaultMaxBatch           = 1000
	DefaultRetryMin           = 100 * time.Millisecond
	DefaultRetryMax           = 30 * time.Second
)

// Config configures a Pipeline. Zero values take the defaults above.
type Config struct {
	// Instance names this edge's chain (observer.name). Default: the
	// host name. Letters, digits and ".-_:" only, at most 128 bytes.
	Instance string
	// Sinks receive every record and checkpoint, each at its own pace.
	// The pipeline owns them: Close closes them.
	Sinks []Sink
	// SpoolDir is the durable local spool (required). One instance per
	// directory.
	SpoolDir string
	// FsyncInterval is how often the spool is written and fsynced: the
	// most a killed edge can lose. Default 100 ms.
	FsyncInterval time.Duration
	// QueueSize bounds the events waiting for the next spool write (not
	// the sinks' backlog, which lives in the spool). Default 65536.
	QueueSize int
	// CheckpointInterval and CheckpointEvery bound the distance between
	// signed checkpoints: at most 1 s (default) and at most 10,000 events
	// (default).
	CheckpointInterval time.Duration
	CheckpointEvery    int
	// SegmentSize is the size at which a spool segment is closed and a new
	// one begun. Default 16 MiB.
	SegmentSize int64
	// MaxBatch caps the records handed to one Sink.Write. Default 1000.
	MaxBatch int
	// RetryMin and RetryMax bound the exponential backoff between retries
	// of a failed sink write. Defaults 100 ms and 30 s.
	RetryMin, RetryMax time.Duration
	// SigningKey signs checkpoints (required). See LoadOrCreateSigningKey.
	SigningKey ed25519.PrivateKey
	// Logger receives the pipeline's own diagnostics (not the events).
	// Default: a no-op logger.
	Logger *zap.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// withDefaults validates c and fills the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Instance == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "ocomms-edge"
		}
		c.Instance = record.Clean(record.SanitizeInstance(h), 128)
	}
	if err := record.ValidInstance(c.Instance); err != nil {
		return c, err
	}
	if c.SpoolDir == "" {
		return c, errors.New("audit pipeline: spool directory is required")
	}
	if len(c.SigningKey) != ed25519.PrivateKeySize {
		return c, errors.New("audit pipeline: an Ed25519 signing key is required")
	}
	defaults.Positive(&c.FsyncInterval, DefaultFsyncInterval)
	defaults.Positive(&c.QueueSize, DefaultQueueSize)
	defaults.Positive(&c.CheckpointInterval, DefaultCheckpointInterval)
	if c.CheckpointInterval > time.Second {
		return c, fmt.Errorf("audit pipeline: checkpoint interval %v is above the 1s bound", c.CheckpointInterval)
	}
	defaults.Positive(&c.CheckpointEvery, DefaultCheckpointEvery)
	if c.CheckpointEvery > DefaultCheckpointEvery {
		return c, fmt.Errorf("audit pipeline: checkpoint every %d events is above the 10000 bound", c.CheckpointEvery)
	}
	defaults.Positive(&c.SegmentSize, DefaultSegmentSize)
	defaults.Positive(&c.MaxBatch, DefaultMaxBatch)
	defaults.Positive(&c.RetryMin, DefaultRetryMin)
	defaults.Positive(&c.RetryMax, DefaultRetryMax)
	if c.RetryMax < c.RetryMin {
		c.RetryMax = c.RetryMin
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
