package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// sinkRunner delivers the spool to one sink from its persisted cursor.
type sinkRunner struct {
	p          *Pipeline
	sink       Sink
	name       string
	cursorPath string
	reader     *spoolReader

	acked   atomic.Uint64 // last record seq the sink acknowledged
	cpDone  bool          // the checkpoint at acked was delivered too
	saved   string        // cursor content last written
	errors  atomic.Uint64
	lastErr atomic.Value
}

// cursorName makes a sink name safe as a file name.
func cursorName(s string) string {
	if s == "" {
		s = "sink"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

func newSinkRunner(p *Pipeline, s Sink, name string) (*sinkRunner, error) {
	r := &sinkRunner{p: p, sink: s, name: name, cursorPath: filepath.Join(p.cfg.SpoolDir, "cursor-"+name)}
	data, err := os.ReadFile(r.cursorPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read audit cursor %s: %w", r.cursorPath, err)
	default:
		f := strings.Fields(string(data))
		if len(f) != 2 {
			return nil, fmt.Errorf("audit cursor %s is malformed", r.cursorPath)
		}
		seq, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("audit cursor %s: %w", r.cursorPath, err)
		}
		if seq > p.sp.lastSeq {
			// The sink is ahead of the spool (the spool was lost or
			// replaced): start over at the spool's head; the sink's
			// de-duplication skips what it has.
			p.log.Warn("audit cursor ahead of spool", zap.String("sink", name), zap.Uint64("cursor", seq), zap.Uint64("spool_tail", p.sp.lastSeq))
			seq = p.sp.lastSeq
		}
		r.acked.Store(seq)
		r.cpDone = f[1] == "1"
		r.saved = string(data)
	}
	r.reader = newSpoolReader(p.sp, r.acked.Load())
	return r, nil
}

// run delivers until the pipeline has drained and the sink has caught up,
// or delivery is cancelled.
func (r *sinkRunner) run() {
	defer r.p.wg.Done()
	defer r.reader.close()
	ctx := r.p.deliverCtx
	var batch []record.Record
	for {
		wait := r.p.waitChan()
		drained := r.p.drained.Load()
		items, err := r.reader.read(r.p.cfg.MaxBatch)
		if err != nil {
			r.fail(err)
			if !r.sleep(ctx, r.p.cfg.RetryMax) {
				return
			}
			continue
		}
		for _, it := range items {
			if !it.isCP {
				if it.rec.Seq <= r.acked.Load() {
					continue // delivered before a restart
				}
				it.rec.Instance = r.p.instance
				ev := r.p.recent.event(it.rec.Seq)
				if ev == nil {
					if d, err := record.UnmarshalEvent(it.rec.Data); err == nil {
						ev = &d
					}
				}
				if ev != nil {
					it.rec.EventID, it.rec.Time, it.rec.Event = ev.ID, ev.Time, ev
				}
				batch = append(batch, it.rec)
				continue
			}
			if it.cp.Seq < r.acked.Load() || (it.cp.Seq == r.acked.Load() && r.cpDone && len(batch) == 0) {
				continue
			}
			if !r.deliver(ctx, batch) {
				return
			}
			batch = batch[:0]
			if !r.deliverCP(ctx, it.cp) {
				return
			}
		}
		if len(batch) > 0 {
			if !r.deliver(ctx, batch) {
				return
			}
			batch = batch[:0]
		}
		if len(items) > 0 {
			continue
		}
		if drained {
			return
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return
		}
	}
}

// deliver writes a batch, retrying with backoff until it is acknowledged
// or delivery is cancelled.
func (r *sinkRunner) deliver(ctx context.Context, batch []record.Record) bool {
	if len(batch) == 0 {
		return true
	}
	backoff := r.p.cfg.RetryMin
	for {
		err := r.sink.Write(ctx, batch)
		if err == nil {
			r.commit(batch[len(batch)-1].Seq, false)
			return true
		}
		r.fail(err)
		if !r.sleep(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, r.p.cfg.RetryMax)
	}
}

// deliverCP writes a checkpoint, retrying like deliver.
func (r *sinkRunner) deliverCP(ctx context.Context, cp record.Checkpoint) bool {
	backoff := r.p.cfg.RetryMin
	for {
		err := r.sink.WriteCheckpoint(ctx, cp)
		if err == nil {
			if cp.Seq == r.acked.Load() {
				r.commit(cp.Seq, true)
			}
			return true
		}
		r.fail(err)
		if !r.sleep(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, r.p.cfg.RetryMax)
	}
}

func (r *sinkRunner) fail(err error) {
	n := r.errors.Add(1)
	r.lastErr.Store(err.Error())
	if n == 1 || n%100 == 0 {
		r.p.log.Warn("audit sink write failed; retrying",
			zap.String("sink", r.name), zap.Uint64("errors", n), zap.Error(err))
	}
}

// sleep waits d with ±20% jitter; false when delivery was cancelled.
func (r *sinkRunner) sleep(ctx context.Context, d time.Duration) bool {
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	t := time.NewTimer(j)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// commit records an acknowledgement: the cursor file first (rename, no
// fsync: it survives a process kill; after a machine crash a stale cursor
// only means a replay the sink de-duplicates), then the in-memory state
// Stats and spool collection read.
func (r *sinkRunner) commit(seq uint64, cpDone bool) {
	if err := r.writeCursor(seq, cpDone); err != nil {
		r.p.log.Warn("audit cursor not saved", zap.String("sink", r.name), zap.Error(err))
	}
	r.cpDone = cpDone
	r.acked.Store(seq)
}

func (r *sinkRunner) saveCursor() error { return r.writeCursor(r.acked.Load(), r.cpDone) }

func (r *sinkRunner) writeCursor(seq uint64, cpDone bool) error {
	if r.p.crashed.Load() {
		return nil
	}
	cp := "0"
	if cpDone {
		cp = "1"
	}
	content := strconv.FormatUint(seq, 10) + " " + cp + "\n"
	if content == r.saved {
		return nil
	}
	tmp := r.cursorPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return fmt.Errorf("save audit cursor: %w", err)
	}
	if err := os.Rename(tmp, r.cursorPath); err != nil {
		return fmt.Errorf("save audit cursor: %w", err)
	}
	r.saved = content
	return nil
}
