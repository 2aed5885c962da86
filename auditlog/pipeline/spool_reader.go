package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// spoolReader reads one sink's way through the spool, never past what the
// writer has made durable.
type spoolReader struct {
	sp  *spool
	seg *segment
	f   *os.File
	off int64  // file offset of buf[0]
	buf []byte // bytes read but not yet consumed
}

// item is one frame read back: a record or a checkpoint.
type item struct {
	isCP bool
	rec  record.Record
	cp   record.Checkpoint
}

func newSpoolReader(sp *spool, after uint64) *spoolReader {
	return &spoolReader{sp: sp, seg: sp.seek(after + 1)}
}

// open opens the current segment and skips its header.
func (r *spoolReader) open() error {
	if r.f != nil {
		return nil
	}
	_, _, _, hdr, err := readSegmentHeader(r.seg.path)
	if err != nil {
		return err
	}
	f, err := os.Open(r.seg.path)
	if err != nil {
		return fmt.Errorf("open audit spool segment: %w", err)
	}
	r.f, r.off, r.buf = f, int64(hdr), r.buf[:0]
	return nil
}

// read returns up to max durable frames. It returns none (and no error)
// when it has reached the durable end.
func (r *spoolReader) read(max int) ([]item, error) {
	var out []item
	for len(out) < max {
		if err := r.open(); err != nil {
			return out, err
		}
		activeStart, activeSize := r.sp.durable()
		limit := activeSize
		if r.seg.start != activeStart {
			r.sp.mu.Lock()
			limit = r.seg.size
			r.sp.mu.Unlock()
		}
		// Parse what is buffered.
		for len(out) < max {
			typ, payload, n, err := parseFrame(r.buf)
			if errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				return out, fmt.Errorf("audit spool %s at %d: %w", r.seg.path, r.off, err)
			}
			var it item
			if typ == frameRecord {
				// Data may alias buf: a refill copies into a new buffer
				// and never writes the old one again.
				decodeRecordPayload(payload, &it.rec)
			} else {
				cp, err := chain.ParseCheckpointJSON(payload)
				if err != nil {
					return out, fmt.Errorf("audit spool %s: %w", r.seg.path, err)
				}
				it.isCP, it.cp = true, cp
			}
			out = append(out, it)
			r.buf = r.buf[n:]
			r.off += int64(n)
		}
		if len(out) >= max {
			return out, nil
		}
		end := r.off + int64(len(r.buf))
		if end < limit {
			chunk := limit - end
			if chunk > 1<<20 {
				chunk = 1 << 20
			}
			// Compact, then read the next durable chunk.
			r.buf = append(r.buf[:0:0], r.buf...)
			start := len(r.buf)
			r.buf = append(r.buf, make([]byte, chunk)...)
			m, err := r.f.ReadAt(r.buf[start:], end)
			r.buf = r.buf[:start+m]
			if err != nil && !errors.Is(err, io.EOF) {
				return out, fmt.Errorf("read audit spool: %w", err)
			}
			if m == 0 {
				return out, nil
			}
			continue
		}
		if r.seg.start == activeStart {
			return out, nil // at the durable end
		}
		// This segment is complete and consumed: move on.
		nx := r.sp.next(r.seg.start)
		if nx == nil {
			return out, nil
		}
		if len(r.buf) > 0 {
			return out, fmt.Errorf("audit spool %s: %d trailing bytes", r.seg.path, len(r.buf))
		}
		r.f.Close()
		r.f, r.seg = nil, nx
	}
	return out, nil
}

func (r *spoolReader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}
