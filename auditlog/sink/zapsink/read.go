package zapsink

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// zapCheckpointLine is a checkpoint entry as Caddy's JSON log encoder
// writes the zap sink's fields.
type zapCheckpointLine struct {
	Msg       string `json:"msg"`
	Instance  string `json:"observer.name"`
	Seq       uint64 `json:"audit.checkpoint.seq"`
	Hash      string `json:"audit.checkpoint.hash"`
	Prev      string `json:"audit.checkpoint.prev"`
	Time      string `json:"audit.checkpoint.time"`
	Retention bool   `json:"audit.checkpoint.retention"`
	PublicKey string `json:"audit.checkpoint.public_key"`
	Signature string `json:"audit.checkpoint.signature"`
}

// ReadZapCheckpoints reads the checkpoints out of a JSON log written by the
// zap sink (Caddy's log file with logger ocomms.audit), skipping every
// other line, so the log can serve as the external anchor of Verify
// (WithCheckpoints). The checkpoints are not trusted: Verify checks their
// signatures.
func ReadZapCheckpoints(r io.Reader) ([]record.Checkpoint, error) {
	var out []record.Checkpoint
	err := record.ScanLines(r, func(n int, line []byte) error {
		var l zapCheckpointLine
		if json.Unmarshal(line, &l) != nil || l.Msg != string(secevent.ActionAuditCheckpoint) || l.Signature == "" {
			return nil
		}
		cp := record.Checkpoint{Instance: l.Instance, Seq: l.Seq, Retention: l.Retention}
		var err error
		if cp.Hash, err = chain.ParseHash(l.Hash); err != nil {
			return fmt.Errorf("zap log line %d: checkpoint hash: %w", n, err)
		}
		if cp.PrevHash, err = chain.ParseHash(l.Prev); err != nil {
			return fmt.Errorf("zap log line %d: checkpoint prev: %w", n, err)
		}
		if cp.Time, err = time.Parse(time.RFC3339Nano, l.Time); err != nil {
			return fmt.Errorf("zap log line %d: checkpoint time: %w", n, err)
		}
		if cp.PublicKey, err = base64.StdEncoding.DecodeString(l.PublicKey); err != nil {
			return fmt.Errorf("zap log line %d: checkpoint key: %w", n, err)
		}
		if cp.Signature, err = base64.StdEncoding.DecodeString(l.Signature); err != nil {
			return fmt.Errorf("zap log line %d: checkpoint signature: %w", n, err)
		}
		out = append(out, cp)
		return nil
	})
	return out, err
}
