package jsonl

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// ReadRecords implements ChainReader: every record line, day files oldest
// first, each file in line order (which is chain order per instance; when
// several instances share a directory their lines interleave, and Verify
// keeps one state per instance). Record.Data aliases a read buffer and is
// valid only during fn. Malformed lines are skipped here and listed by
// Malformed.
func (j *JSONL) ReadRecords(ctx context.Context, fn func(record.Record) error) error {
	var bad []chain.MalformedLine
	if err := j.eachDay(ctx, func(d string) error {
		return scanJSONLFile(j.path(d), func(k lineKind, r record.Record, _ record.Checkpoint) error {
			if k == lineRecord {
				return fn(r)
			}
			return nil
		}, func(n int, err error) error {
			bad = append(bad, chain.MalformedLine{File: dayFile(d), Line: n, Err: err.Error()})
			return nil
		})
	}); err != nil {
		return err
	}
	j.mu.Lock()
	j.readBad, j.readDone = bad, true
	j.mu.Unlock()
	return nil
}

// ReadCheckpoints implements ChainReader: every checkpoint line.
func (j *JSONL) ReadCheckpoints(ctx context.Context) ([]record.Checkpoint, error) {
	var out []record.Checkpoint
	if err := j.eachDay(ctx, func(d string) error {
		f, err := os.Open(j.path(d))
		if err != nil {
			return fmt.Errorf("open audit jsonl: %w", err)
		}
		defer f.Close()
		return record.ScanLines(f, func(_ int, line []byte) error {
			if !bytes.HasPrefix(line, []byte(cpPrefix)) {
				return nil // records are skipped without parsing
			}
			if k, _, cp, err := parseLine(line); err == nil && k == lineCheckpoint {
				out = append(out, cp)
			}
			return nil
		})
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// Malformed lists the lines that parse as neither a record nor a
// checkpoint: those the last complete ReadRecords met, else from a scan.
func (j *JSONL) Malformed(ctx context.Context) ([]chain.MalformedLine, error) {
	j.mu.Lock()
	if j.readDone {
		bad := j.readBad
		j.mu.Unlock()
		return bad, nil
	}
	j.mu.Unlock()
	var out []chain.MalformedLine
	if err := j.eachDay(ctx, func(d string) error {
		return scanJSONLFile(j.path(d), func(lineKind, record.Record, record.Checkpoint) error { return nil },
			func(n int, err error) error {
				out = append(out, chain.MalformedLine{File: dayFile(d), Line: n, Err: err.Error()})
				return nil
			})
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// eachDay calls fn with every day that has a file, oldest first, until fn
// fails or ctx is done.
func (j *JSONL) eachDay(ctx context.Context, fn func(day string) error) error {
	days, err := j.days()
	if err != nil {
		return err
	}
	for _, d := range days {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read audit jsonl: %w", err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}
