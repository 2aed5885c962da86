package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/diskio"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// The spool is the pipeline's write-ahead log: a directory of segment
// files, each named by the first sequence number it holds
// ("00000000000000000001.seg"). A segment starts with a header (magic,
// start seq, the hash preceding it, the instance) and holds frames:
//
//	type (1 byte) | payload length (4, LE) | CRC-32C of type+payload (4, LE) | payload
//
// A record frame's payload is seq (8, LE) | prev hash (32) | hash (32) |
// canonical event bytes; a checkpoint frame's payload is the checkpoint's
// JSON. Frames are appended by one writer and fsynced together; a torn
// tail (short frame or bad CRC) is cut on open.

const (
	segMagic        = "OCAUDIT1"
	segHeaderFixed  = len(segMagic) + 8 + 32 + 2
	frameHeader     = 1 + 4 + 4
	frameRecord     = byte('R')
	frameCheckpoint = byte('C')
	recordFixed     = 8 + 32 + 32
	maxFrame        = 1 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// segment is one spool file.
type segment struct {
	start uint64 // first seq it holds (or would hold)
	path  string
	size  int64 // bytes durable (fsynced), for the active segment
}

// spool owns the segment files. The writer goroutine is the only one that
// appends; readers read up to the durable position.
type spool struct {
	dir      string
	instance string

	mu   sync.Mutex
	segs []*segment // sorted by start; the last is active

	// Writer side, owned by the pipeline's writer goroutine.
	f    *os.File
	size int64 // bytes written to the active segment (durable after sync)
	lock *os.File

	// failWrite, set by tests, makes appends fail (a dead disk).
	failWrite atomic.Pointer[func() error]

	// Tail of the chain as recovered on open.
	lastSeq  uint64
	lastHash [32]byte
}

func segName(start uint64) string { return fmt.Sprintf("%020d.seg", start) }

// openSpool opens (or creates) the spool in dir for instance, cuts a torn
// tail and recovers the last seq and hash.
func openSpool(dir, instance string) (*spool, error) {
	if _, err := diskio.PrivateDir(dir); err != nil {
		return nil, fmt.Errorf("audit spool: %w", err)
	}
	lock, err := lockSpool(dir)
	if err != nil {
		return nil, err
	}
	s, err := openSpoolLocked(dir, instance)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func openSpoolLocked(dir, instance string) (*spool, error) {
	s := &spool{dir: dir, instance: instance}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read audit spool %s: %w", dir, err)
	}
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, ".seg") || de.IsDir() {
			continue
		}
		start, err := strconv.ParseUint(strings.TrimSuffix(name, ".seg"), 10, 64)
		if err != nil {
			continue
		}
		s.segs = append(s.segs, &segment{start: start, path: filepath.Join(dir, name)})
	}
	sort.Slice(s.segs, func(i, j int) bool { return s.segs[i].start < s.segs[j].start })
	if len(s.segs) == 0 {
		if err := s.createSegment(1, [32]byte{}); err != nil {
			return nil, err
		}
		return s, nil
	}
	for _, sg := range s.segs[:len(s.segs)-1] {
		st, err := os.Stat(sg.path)
		if err != nil {
			return nil, fmt.Errorf("stat audit spool segment: %w", err)
		}
		sg.size = st.Size()
	}
	last := s.segs[len(s.segs)-1]
	start, prev, inst, hdrLen, err := readSegmentHeader(last.path)
	if err != nil {
		return nil, err
	}
	if inst != instance {
		return nil, fmt.Errorf("audit spool %s belongs to instance %q, not %q: use another spool directory", dir, inst, instance)
	}
	if start != last.start {
		return nil, fmt.Errorf("audit spool segment %s: header says start %d", last.path, start)
	}
	good, lastSeq, lastHash, err := scanSegment(last.path, hdrLen, start, prev)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(last.path, os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit spool segment: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat audit spool segment: %w", err)
	}
	if st.Size() != good {
		// A torn tail from a crash: cut it so appends continue cleanly.
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, fmt.Errorf("cut torn audit spool tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync audit spool: %w", err)
		}
	}
	s.f, s.size = f, good
	last.size = good
	s.lastSeq, s.lastHash = lastSeq, lastHash
	return s, nil
}

// createSegment writes a new segment's header atomically (temp file,
// fsync, rename, fsync dir) and makes it the active segment.
func (s *spool) createSegment(start uint64, prev [32]byte) error {
	hdr := make([]byte, 0, segHeaderFixed+len(s.instance))
	hdr = append(hdr, segMagic...)
	hdr = binary.LittleEndian.AppendUint64(hdr, start)
	hdr = append(hdr, prev[:]...)
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(s.instance)))
	hdr = append(hdr, s.instance...)
	path := filepath.Join(s.dir, segName(start))
	tmp := path + ".tmp"
	if err := writeFileSync(tmp, hdr); err != nil {
		return fmt.Errorf("create audit spool segment: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("create audit spool segment: %w", err)
	}
	if err := diskio.SyncDir(s.dir); err != nil {
		return fmt.Errorf("create audit spool segment: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open audit spool segment: %w", err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.size = f, int64(len(hdr))
	s.lastSeq = start - 1
	s.lastHash = prev
	s.mu.Lock()
	s.segs = append(s.segs, &segment{start: start, path: path, size: int64(len(hdr))})
	s.mu.Unlock()
	return nil
}

// append writes frames at the end of the active segment (not yet durable).
func (s *spool) append(frames []byte) error {
	if f := s.failWrite.Load(); f != nil {
		if err := (*f)(); err != nil {
			return fmt.Errorf("write audit spool: %w", err)
		}
	}
	n, err := s.f.WriteAt(frames, s.size)
	if err != nil {
		// Leave no partial frame behind; the batch is retried whole.
		_ = s.f.Truncate(s.size)
		return fmt.Errorf("write audit spool: %w", err)
	}
	s.size += int64(n)
	return nil
}

// sync makes everything appended durable and publishes the new size. If
// fsync fails, what was appended since the last good sync is cut off (its
// state on disk is unknown) so the retried batch is not written twice.
func (s *spool) sync() error {
	if err := s.f.Sync(); err != nil {
		s.mu.Lock()
		synced := s.segs[len(s.segs)-1].size
		s.mu.Unlock()
		if terr := s.f.Truncate(synced); terr == nil {
			s.size = synced
		}
		return fmt.Errorf("fsync audit spool: %w", err)
	}
	s.mu.Lock()
	s.segs[len(s.segs)-1].size = s.size
	s.mu.Unlock()
	return nil
}

// durable returns the active segment's start and its durable size.
func (s *spool) durable() (start uint64, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.segs[len(s.segs)-1]
	return a.start, a.size
}

// next returns the segment after the one starting at start, if any.
func (s *spool) next(start uint64) *segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sg := range s.segs {
		if sg.start == start && i+1 < len(s.segs) {
			return s.segs[i+1]
		}
		if sg.start > start {
			return sg
		}
	}
	return nil
}

// seek returns the segment holding seq (the last one starting at or
// before it, or the oldest left).
func (s *spool) seek(seq uint64) *segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := s.segs[0]
	for _, sg := range s.segs {
		if sg.start <= seq {
			best = sg
		}
	}
	return best
}

// gc deletes every inactive segment whose records are all at or below
// acked (acknowledged by every sink).
func (s *spool) gc(acked uint64) (removed int, err error) {
	s.mu.Lock()
	var drop []*segment
	for len(s.segs) > 1 && s.segs[1].start-1 <= acked {
		drop = append(drop, s.segs[0])
		s.segs = s.segs[1:]
	}
	s.mu.Unlock()
	for _, sg := range drop {
		if e := os.Remove(sg.path); e != nil && !errors.Is(e, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("remove audit spool segment: %w", e)
		}
		removed++
	}
	return removed, err
}

// usage returns the spool's segment count and bytes.
func (s *spool) usage() (segments int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sg := range s.segs {
		bytes += sg.size
	}
	return len(s.segs), bytes
}

func (s *spool) close() error {
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	if s.lock != nil {
		s.lock.Close() // releases the flock
		s.lock = nil
	}
	return err
}

// appendRecordFrame appends r as a record frame.
func appendRecordFrame(b []byte, r *record.Record) []byte {
	n := recordFixed + len(r.Data)
	b = append(b, frameRecord)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	crcAt := len(b)
	b = append(b, 0, 0, 0, 0)
	p := len(b)
	b = binary.LittleEndian.AppendUint64(b, r.Seq)
	b = append(b, r.PrevHash[:]...)
	b = append(b, r.Hash[:]...)
	b = append(b, r.Data...)
	crc := crc32.Update(crc32.Checksum([]byte{frameRecord}, crcTable), crcTable, b[p:])
	binary.LittleEndian.PutUint32(b[crcAt:], crc)
	return b
}

// appendCheckpointFrame appends cp as a checkpoint frame.
func appendCheckpointFrame(b []byte, cp record.Checkpoint) []byte {
	payload := chain.AppendCheckpointJSON(nil, cp)
	b = append(b, frameCheckpoint)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	crc := crc32.Update(crc32.Checksum([]byte{frameCheckpoint}, crcTable), crcTable, payload)
	b = binary.LittleEndian.AppendUint32(b, crc)
	return append(b, payload...)
}

// errTorn marks an incomplete or corrupt frame.
var errTorn = errors.New("torn audit spool frame")

// parseFrame reads one frame from b. It returns the frame type, payload
// and total length, io.ErrUnexpectedEOF when b holds only part of a frame,
// or errTorn for a corrupt one.
func parseFrame(b []byte) (typ byte, payload []byte, n int, err error) {
	if len(b) < frameHeader {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	typ = b[0]
	size := int(binary.LittleEndian.Uint32(b[1:5]))
	if (typ != frameRecord && typ != frameCheckpoint) || size > maxFrame || (typ == frameRecord && size < recordFixed) {
		return 0, nil, 0, errTorn
	}
	if len(b) < frameHeader+size {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	payload = b[frameHeader : frameHeader+size]
	want := binary.LittleEndian.Uint32(b[5:9])
	if crc32.Update(crc32.Checksum(b[:1], crcTable), crcTable, payload) != want {
		return 0, nil, 0, errTorn
	}
	return typ, payload, frameHeader + size, nil
}

// decodeRecordPayload fills r from a record frame's payload; r.Data
// aliases payload.
func decodeRecordPayload(payload []byte, r *record.Record) {
	r.Seq = binary.LittleEndian.Uint64(payload[0:8])
	copy(r.PrevHash[:], payload[8:40])
	copy(r.Hash[:], payload[40:72])
	r.Data = payload[72:]
}

// readSegmentHeader reads a segment's header.
func readSegmentHeader(path string) (start uint64, prev [32]byte, instance string, n int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, prev, "", 0, fmt.Errorf("open audit spool segment: %w", err)
	}
	defer f.Close()
	buf := make([]byte, segHeaderFixed+0xffff)
	m, _ := io.ReadFull(f, buf)
	buf = buf[:m]
	if m < segHeaderFixed || string(buf[:len(segMagic)]) != segMagic {
		return 0, prev, "", 0, fmt.Errorf("audit spool segment %s: bad header", path)
	}
	p := len(segMagic)
	start = binary.LittleEndian.Uint64(buf[p:])
	copy(prev[:], buf[p+8:p+40])
	il := int(binary.LittleEndian.Uint16(buf[p+40:]))
	if m < segHeaderFixed+il {
		return 0, prev, "", 0, fmt.Errorf("audit spool segment %s: bad header", path)
	}
	return start, prev, string(buf[segHeaderFixed : segHeaderFixed+il]), segHeaderFixed + il, nil
}

// scanSegment validates a segment's frames from off and returns the
// length of its valid prefix and the last record's seq and hash. Frames
// after the first torn or out-of-chain one are not valid.
func scanSegment(path string, off int, start uint64, prev [32]byte) (good int64, lastSeq uint64, lastHash [32]byte, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, prev, fmt.Errorf("read audit spool segment: %w", err)
	}
	lastSeq, lastHash = start-1, prev
	p := off
	for p < len(data) {
		typ, payload, n, ferr := parseFrame(data[p:])
		if ferr != nil {
			break
		}
		if typ == frameRecord {
			var r record.Record
			decodeRecordPayload(payload, &r)
			if r.Seq != lastSeq+1 || r.PrevHash != lastHash || record.ChainHash(r.PrevHash, r.Data) != r.Hash {
				break
			}
			lastSeq, lastHash = r.Seq, r.Hash
		}
		p += n
	}
	return int64(p), lastSeq, lastHash, nil
}

// writeFileSync writes data to a new file with mode 0600 and fsyncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
