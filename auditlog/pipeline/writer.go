package pipeline

// The writer goroutine: it takes the queue, chains it, appends it to the
// spool with signed checkpoints and fsyncs, then collects what every sink
// has acknowledged.

import (
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// writer appends the queue to the spool and fsyncs every FsyncInterval.
func (p *Pipeline) writer() {
	defer close(p.writeDone)
	t := time.NewTicker(p.cfg.FsyncInterval)
	defer t.Stop()
	var carry []record.Record
	for {
		final := false
		select {
		case <-t.C:
		case <-p.flushReq:
		case <-p.stopWrite:
			final = true
		}
		if p.crashed.Load() {
			return
		}
		carry = p.flush(carry, final)
		p.unwritten.Store(int64(len(carry)))
		if final {
			if len(carry) > 0 {
				p.log.Error("audit spool unwritable at close", zap.Int("events_lost", len(carry)))
			}
			p.drained.Store(true)
			p.wake()
			return
		}
	}
}

// flush writes carry (a batch a failed write left behind) and the queue
// to the spool, with checkpoints, fsyncs, publishes and collects acked
// segments. It returns what could not be written.
func (p *Pipeline) flush(carry []record.Record, final bool) []record.Record {
	batch := p.take(len(carry))
	p.chain(batch)
	if len(carry) > 0 {
		batch = append(carry, batch...)
	}
	now := p.cfg.Now()
	if len(batch) == 0 {
		if p.cpSeq < p.durableSeq.Load() && (final || p.tailDue(now)) {
			// A checkpoint over the head: a clean close is anchored, and
			// after a quiet period the newest records are not left
			// without a signature until the next event arrives.
			if p.writeFrames(appendCheckpointFrame(nil, p.checkpoint(p.durableSeq.Load(), p.sp.lastHash, now)), nil) {
				p.checkpoints.Add(1)
			}
		}
		return nil
	}
	frames := make([]byte, 0, len(batch)*600)
	var cps int
	for i := range batch {
		frames = appendRecordFrame(frames, &batch[i])
		p.sinceCP++
		last := i == len(batch)-1
		if p.sinceCP >= p.cfg.CheckpointEvery || (last && (final || now.Sub(p.lastCPTime) >= p.cfg.CheckpointInterval)) {
			frames = appendCheckpointFrame(frames, p.checkpoint(batch[i].Seq, batch[i].Hash, now))
			cps++
		}
	}
	if !p.writeFrames(frames, batch) {
		// Not durable: forget the checkpoints we counted, retry the batch.
		return batch
	}
	p.checkpoints.Add(uint64(cps))
	return nil
}

// take swaps the queue for a fresh one and returns what was queued. The
// next queue is sized from the last batch and allocated outside the lock,
// so Emit neither waits for the allocation nor (usually) pays for growing
// the slice. An empty queue is kept as it is: an idle tick allocates
// nothing (a fresh prefaulted queue is hundreds of KiB).
func (p *Pipeline) take(carried int) []record.Record {
	p.mu.Lock()
	idle := len(p.pending) == 0
	p.mu.Unlock()
	if idle {
		return nil
	}
	size := max(1024, 2*p.lastBatch)
	next, slab := prefault(make([]record.Record, 0, size)), prefault(make([]secevent.Event, 0, size))
	p.mu.Lock()
	batch := p.pending
	p.pending, p.slab = next, slab
	// Until written, the batch still counts against QueueSize.
	p.unwritten.Store(int64(len(batch) + carried))
	p.mu.Unlock()
	p.lastBatch = len(batch)
	return batch
}

// chain encodes each queued record and links it to the one before: Data,
// PrevHash and Hash. Only the writer calls it, in sequence order, so prev
// needs no lock (a carried batch was chained when it was first taken).
func (p *Pipeline) chain(batch []record.Record) {
	for i := range batch {
		r := &batch[i]
		if r.Event.ID == "" {
			r.Event.ID = record.NewUUID()
			r.EventID = r.Event.ID
		}
		r.Event.Labels = record.SanitizedLabels(r.Event.Labels)
		r.Data = record.AppendSanitized(make([]byte, 0, 640), *r.Event)
		r.PrevHash = p.prev
		r.Hash = record.ChainHash(p.prev, r.Data)
		p.prev = r.Hash
	}
}

// tailDue reports whether an idle tick must checkpoint the uncovered tail
// now so that it is signed within CheckpointInterval of the last event's
// Emit: the event waits up to one tick to become durable and the tail's
// checkpoint up to one more tick, so the tail is signed once
// CheckpointInterval minus two ticks has passed since the last checkpoint
// (at the first idle tick when the fsync interval is that long).
func (p *Pipeline) tailDue(now time.Time) bool {
	return now.Sub(p.lastCPTime) >= p.cfg.CheckpointInterval-2*p.cfg.FsyncInterval
}

// checkpoint builds a signed checkpoint and resets the checkpoint clock.
func (p *Pipeline) checkpoint(seq uint64, hash [32]byte, now time.Time) record.Checkpoint {
	p.sinceCP = 0
	p.lastCPTime = now
	p.cpSeq = seq
	return chain.Sign(record.Checkpoint{Instance: p.instance, Seq: seq, Hash: hash, Time: now}, p.key)
}

// writeFrames appends, fsyncs and publishes; it reports success.
func (p *Pipeline) writeFrames(frames []byte, batch []record.Record) bool {
	if err := p.sp.append(frames); err != nil {
		p.spoolErrors.Add(1)
		p.log.Error("audit spool write failed; retrying", zap.Error(err))
		return false
	}
	if err := p.sp.sync(); err != nil {
		p.spoolErrors.Add(1)
		p.log.Error("audit spool fsync failed; retrying", zap.Error(err))
		return false
	}
	if len(batch) > 0 {
		for i := range batch {
			p.recent.put(&batch[i])
		}
		last := batch[len(batch)-1]
		p.sp.lastSeq, p.sp.lastHash = last.Seq, last.Hash
		p.durableSeq.Store(last.Seq)
	}
	p.wake()
	if p.sp.size >= p.cfg.SegmentSize {
		if err := p.sp.createSegment(p.sp.lastSeq+1, p.sp.lastHash); err != nil {
			p.spoolErrors.Add(1)
			p.log.Error("audit spool rotation failed", zap.Error(err))
		}
	}
	p.collect()
	return true
}

// collect deletes spool segments every sink has acknowledged.
func (p *Pipeline) collect() {
	acked := p.durableSeq.Load()
	for _, r := range p.runners {
		acked = min(acked, r.acked.Load())
	}
	if _, err := p.sp.gc(acked); err != nil {
		p.log.Warn("audit spool cleanup failed", zap.Error(err))
	}
}
