package jsonl

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/diskio"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// DefaultRetentionDays is how long JSONL day files are kept.
const DefaultRetentionDays = 90

// JSONLConfig configures a JSONL store.
type JSONLConfig struct {
	// Dir holds the day files audit-YYYY-MM-DD.jsonl (UTC). Required.
	Dir string
	// RetentionDays: day files more than this many days before today are
	// deleted, after a signed retention checkpoint. Default 90; negative
	// keeps everything.
	RetentionDays int
	// SigningKey signs retention checkpoints; without it retention
	// refuses to delete anything (setup.Open passes the pipeline's key).
	SigningKey ed25519.PrivateKey
	// Logger for the store's own diagnostics. Default: no-op.
	Logger *zap.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// ReadOnly opens an existing directory for Verify and queries only
	// (the CLI, the admin API): nothing is created, repaired or written,
	// so it is safe next to a running edge.
	ReadOnly bool
}

// errReadOnly is returned by writes to a read-only store.
var errReadOnly = errors.New("audit jsonl: store opened read-only")

// JSONL is the daily JSONL store: a Sink that appends one line per record
// (the canonical bytes verbatim plus chain fields) and one per checkpoint,
// fsyncing every batch; a Querier and a ChainReader over the same files.
//
// A record goes to the file of its own UTC day, or to the current file if
// that is later (so file order is always chain order even when clocks step
// back or a replay arrives after midnight). Records already stored, by
// (instance, seq), are skipped, so replays never duplicate.
type JSONL struct {
	cfg JSONLConfig
	log *zap.Logger

	mu       sync.Mutex
	f        *os.File
	day      string // current file's day
	size     int64
	last     map[string]uint64   // last record seq stored, per instance
	lastHash map[string][32]byte // its hash
	lastCP   map[string]uint64   // last checkpoint seq stored, per instance
	known    map[string]bool     // instances whose last seq was looked up
	retDay   string              // day retention last ran
	// readBad holds the malformed lines the last complete ReadRecords met.
	readBad  []chain.MalformedLine
	readDone bool
	scratch  []byte
}

const (
	jsonlPrefix = "audit-"
	jsonlSuffix = ".jsonl"
	dayLayout   = "2006-01-02"
)

// OpenJSONL opens (or creates) the store in cfg.Dir and cuts a torn last
// line left by a crash.
func OpenJSONL(cfg JSONLConfig) (*JSONL, error) {
	if cfg.Dir == "" {
		return nil, errors.New("audit jsonl: directory is required")
	}
	if cfg.RetentionDays == 0 {
		cfg.RetentionDays = DefaultRetentionDays
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	j := &JSONL{cfg: cfg, log: cfg.Logger, last: map[string]uint64{}, lastHash: map[string][32]byte{}, lastCP: map[string]uint64{}, known: map[string]bool{}}
	if cfg.ReadOnly {
		if _, err := j.days(); err != nil {
			return nil, err
		}
		return j, nil
	}
	if was, err := diskio.PrivateDir(cfg.Dir); err != nil {
		return nil, fmt.Errorf("audit jsonl directory: %w", err)
	} else if was != 0 {
		j.log.Warn("audit jsonl directory was open to group or others; tightened to 0700",
			zap.String("dir", cfg.Dir), zap.String("was", was.String()))
	}
	days, err := j.days()
	if err != nil {
		return nil, err
	}
	if len(days) > 0 {
		newest := days[len(days)-1]
		if err := j.repairTail(newest); err != nil {
			return nil, err
		}
		if err := j.open(newest); err != nil {
			return nil, err
		}
		if err := j.scanFile(newest, func(r record.Record) { j.noteRecord(r.Instance, r.Seq, r.Hash); j.known[r.Instance] = true },
			func(cp record.Checkpoint) { j.noteCP(cp) }); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// Name implements Sink.
func (j *JSONL) Name() string { return "jsonl" }

func dayFile(day string) string { return jsonlPrefix + day + jsonlSuffix }

func (j *JSONL) path(day string) string { return filepath.Join(j.cfg.Dir, dayFile(day)) }

// days lists the days that have a file, oldest first.
func (j *JSONL) days() ([]string, error) {
	ents, err := os.ReadDir(j.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("read audit jsonl directory: %w", err)
	}
	var days []string
	for _, de := range ents {
		n := de.Name()
		if de.IsDir() || !strings.HasPrefix(n, jsonlPrefix) || !strings.HasSuffix(n, jsonlSuffix) {
			continue
		}
		d := strings.TrimSuffix(strings.TrimPrefix(n, jsonlPrefix), jsonlSuffix)
		if _, err := time.Parse(dayLayout, d); err != nil {
			continue
		}
		days = append(days, d)
	}
	sort.Strings(days)
	return days, nil
}

// repairTail cuts an incomplete last line (a crash mid-append).
func (j *JSONL) repairTail(day string) error {
	data, err := os.ReadFile(j.path(day))
	if err != nil {
		return fmt.Errorf("read audit jsonl: %w", err)
	}
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return nil
	}
	cut := bytes.LastIndexByte(data, '\n') + 1
	j.log.Warn("audit jsonl: cutting a torn last line", zap.String("file", dayFile(day)), zap.Int("bytes", len(data)-cut))
	if err := os.Truncate(j.path(day), int64(cut)); err != nil {
		return fmt.Errorf("cut torn audit jsonl line: %w", err)
	}
	return nil
}

// open makes day's file the current one.
func (j *JSONL) open(day string) error {
	f, err := os.OpenFile(j.path(day), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit jsonl: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat audit jsonl: %w", err)
	}
	if j.f != nil {
		j.f.Close()
	}
	if st.Size() == 0 {
		if err := diskio.SyncDir(j.cfg.Dir); err != nil {
			f.Close()
			return fmt.Errorf("sync audit jsonl directory: %w", err)
		}
	}
	j.f, j.day, j.size = f, day, st.Size()
	return nil
}

func (j *JSONL) noteRecord(inst string, seq uint64, hash [32]byte) {
	if seq > j.last[inst] {
		j.last[inst] = seq
		j.lastHash[inst] = hash
	}
}

func (j *JSONL) noteCP(cp record.Checkpoint) {
	if !cp.Retention && cp.Seq > j.lastCP[cp.Instance] {
		j.lastCP[cp.Instance] = cp.Seq
	}
}

// lastSeq returns the last stored seq of inst, scanning older files the
// first time an instance is seen.
func (j *JSONL) lastSeq(inst string) (uint64, error) {
	if j.known[inst] {
		return j.last[inst], nil
	}
	days, err := j.days()
	if err != nil {
		return 0, err
	}
	for i := len(days) - 1; i >= 0; i-- {
		found := false
		if err := j.scanFile(days[i], func(r record.Record) {
			if r.Instance == inst {
				found = true
				j.noteRecord(inst, r.Seq, r.Hash)
			}
		}, func(cp record.Checkpoint) {
			if cp.Instance == inst {
				j.noteCP(cp)
			}
		}); err != nil {
			return 0, err
		}
		if found {
			break
		}
	}
	j.known[inst] = true
	return j.last[inst], nil
}

// Head implements HeadReader: the last record stored for instance.
func (j *JSONL) Head(_ context.Context, instance string) (uint64, [32]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	seq, err := j.lastSeq(instance)
	return seq, j.lastHash[instance], err
}

// Write implements Sink: it appends the records not yet stored and fsyncs.
func (j *JSONL) Write(_ context.Context, recs []record.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cfg.ReadOnly {
		return errReadOnly
	}
	if err := j.retainLocked(); err != nil {
		j.log.Error("audit jsonl retention failed", zap.Error(err))
	}
	buf := j.scratch[:0]
	pending := map[string]*record.Record{}
	for i := range recs {
		r := &recs[i]
		if err := record.ValidInstance(r.Instance); err != nil {
			return fmt.Errorf("audit jsonl: %w", err)
		}
		last, err := j.lastSeq(r.Instance)
		if err != nil {
			return err
		}
		if p, ok := pending[r.Instance]; ok {
			last = p.Seq
		}
		if r.Seq <= last {
			continue
		}
		if r.Seq != last+1 && last != 0 {
			j.log.Warn("audit jsonl: gap in the records handed to it", zap.String("instance", r.Instance), zap.Uint64("after", last), zap.Uint64("seq", r.Seq))
		}
		day := r.Time.UTC().Format(dayLayout)
		if r.Time.IsZero() {
			day = j.cfg.Now().UTC().Format(dayLayout)
		}
		if j.f == nil || day > j.day {
			if err := j.commit(buf, pending); err != nil {
				return err
			}
			buf, pending = buf[:0], map[string]*record.Record{}
			if err := j.open(day); err != nil {
				return err
			}
		}
		buf = appendRecordLine(buf, r)
		pending[r.Instance] = r
	}
	err := j.commit(buf, pending)
	j.scratch = buf[:0]
	return err
}

// commit appends buf to the current file, fsyncs, then records what it
// stored. On error the file is cut back so a retry starts clean.
func (j *JSONL) commit(buf []byte, stored map[string]*record.Record) error {
	if len(buf) == 0 {
		return nil
	}
	if _, err := j.f.WriteAt(buf, j.size); err != nil {
		_ = j.f.Truncate(j.size)
		return fmt.Errorf("write audit jsonl: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		_ = j.f.Truncate(j.size)
		return fmt.Errorf("fsync audit jsonl: %w", err)
	}
	j.size += int64(len(buf))
	for inst, r := range stored {
		j.noteRecord(inst, r.Seq, r.Hash)
	}
	return nil
}

// WriteCheckpoint implements Sink: a checkpoint line in the current file.
func (j *JSONL) WriteCheckpoint(_ context.Context, cp record.Checkpoint) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cfg.ReadOnly {
		return errReadOnly
	}
	if _, err := j.lastSeq(cp.Instance); err != nil {
		return err
	}
	if !cp.Retention && cp.Seq <= j.lastCP[cp.Instance] {
		return nil
	}
	return j.writeCPLocked(cp)
}

func (j *JSONL) writeCPLocked(cp record.Checkpoint) error {
	if j.f == nil {
		day := j.cfg.Now().UTC().Format(dayLayout)
		if d := cp.Time.UTC().Format(dayLayout); d > day {
			day = d
		}
		if err := j.open(day); err != nil {
			return err
		}
	}
	buf := appendCheckpointLine(nil, cp)
	if err := j.commit(buf, nil); err != nil {
		return err
	}
	j.noteCP(cp)
	return nil
}

// Close implements Sink.
func (j *JSONL) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// scanFile calls onRec and onCP for every line of day's file. Malformed
// lines are skipped here (Verify reports them through the chain).
func (j *JSONL) scanFile(day string, onRec func(record.Record), onCP func(record.Checkpoint)) error {
	return scanJSONLFile(j.path(day), func(k lineKind, r record.Record, cp record.Checkpoint) error {
		switch k {
		case lineRecord:
			if onRec != nil {
				onRec(r)
			}
		case lineCheckpoint:
			if onCP != nil {
				onCP(cp)
			}
		}
		return nil
	}, nil)
}

// scanJSONLFile parses every line of a file. bad, when set, is told about
// lines that do not parse (with their 1-based number).
func scanJSONLFile(path string, fn func(lineKind, record.Record, record.Checkpoint) error, bad func(line int, err error) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open audit jsonl: %w", err)
	}
	defer f.Close()
	return record.ScanLines(f, func(n int, line []byte) error {
		k, r, cp, err := parseLine(line)
		if err != nil {
			if bad != nil {
				return bad(n, err)
			}
			return nil
		}
		return fn(k, r, cp)
	})
}
