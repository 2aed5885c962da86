package jsonl

import (
	"errors"
	"fmt"
	"os"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/diskio"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// Retain applies the retention policy now: day files more than
// RetentionDays before today (UTC) are deleted whole, after a signed
// retention checkpoint per instance (first surviving seq and the hash
// before it) is written to today's file, so the chain that remains
// still verifies from its new start. It runs by itself once a day from
// Write.
func (j *JSONL) Retain() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.retDay = ""
	return j.retainLocked()
}

func (j *JSONL) retainLocked() error {
	if j.cfg.RetentionDays < 0 || j.cfg.ReadOnly {
		return nil
	}
	now := j.cfg.Now().UTC()
	today := now.Format(dayLayout)
	if j.retDay == today {
		return nil
	}
	j.retDay = today
	cutoff := now.AddDate(0, 0, -j.cfg.RetentionDays).Format(dayLayout)
	days, err := j.days()
	if err != nil {
		return err
	}
	var victims []string
	for _, d := range days {
		if d < cutoff {
			victims = append(victims, d)
		}
	}
	if len(victims) == 0 {
		return nil
	}
	if j.cfg.SigningKey == nil {
		return errors.New("audit jsonl retention: no signing key for the retention checkpoint; nothing deleted")
	}
	type tail struct {
		seq  uint64
		hash [32]byte
	}
	tails := map[string]tail{}
	var order []string
	for _, d := range victims {
		if err := j.scanFile(d, func(r record.Record) {
			if _, ok := tails[r.Instance]; !ok {
				order = append(order, r.Instance)
			}
			tails[r.Instance] = tail{r.Seq, r.Hash}
		}, nil); err != nil {
			return err
		}
	}
	// The retention checkpoints go to a file that survives: today's.
	if j.f == nil || j.day < cutoff {
		day := today
		if j.day > day {
			day = j.day
		}
		if err := j.open(day); err != nil {
			return err
		}
	}
	for _, inst := range order {
		t := tails[inst]
		cp := chain.Sign(record.Checkpoint{Instance: inst, Seq: t.seq + 1, Hash: t.hash, PrevHash: t.hash, Time: now, Retention: true}, j.cfg.SigningKey)
		if err := j.writeCPLocked(cp); err != nil {
			return fmt.Errorf("audit jsonl retention checkpoint: %w", err)
		}
	}
	for _, d := range victims {
		if err := os.Remove(j.path(d)); err != nil {
			return fmt.Errorf("audit jsonl retention: %w", err)
		}
	}
	if err := diskio.SyncDir(j.cfg.Dir); err != nil {
		return fmt.Errorf("audit jsonl retention: %w", err)
	}
	j.log.Info("audit jsonl retention", zap.Strings("deleted_days", victims), zap.Int("instances", len(order)))
	return nil
}
