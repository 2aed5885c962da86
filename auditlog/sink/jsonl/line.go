package jsonl

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// A JSONL record line keeps the exact hashed bytes verbatim under "doc":
//
//	{"instance":"edge-1","seq":12,"prev":"<64 hex>","hash":"<64 hex>","doc":<canonical event JSON>}
//
// and a checkpoint line is
//
//	{"checkpoint":{"hash":…,"instance":…,"prev":…,"public_key":…,"retention":…,"seq":…,"signature":…,"time":…}}
//
// Both are plain JSON (any JSON reader, e.g. Vector's parse_json, takes
// them); the chain fields come first so the parser below needs no JSON
// decoder to find the hashed bytes.

const (
	linePrefix = `{"instance":"`
	cpPrefix   = `{"checkpoint":`
)

// lineKind is what a JSONL line holds.
type lineKind int

const (
	lineRecord lineKind = iota + 1
	lineCheckpoint
)

// appendRecordLine appends r as a JSONL line (with the newline).
func appendRecordLine(b []byte, r *record.Record) []byte {
	b = append(b, linePrefix...)
	b = append(b, r.Instance...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"prev":"`...)
	b = hex.AppendEncode(b, r.PrevHash[:])
	b = append(b, `","hash":"`...)
	b = hex.AppendEncode(b, r.Hash[:])
	b = append(b, `","doc":`...)
	b = append(b, r.Data...)
	return append(b, "}\n"...)
}

// appendCheckpointLine appends cp as a JSONL line (with the newline).
func appendCheckpointLine(b []byte, cp record.Checkpoint) []byte {
	b = append(b, cpPrefix...)
	b = chain.AppendCheckpointJSON(b, cp)
	return append(b, "}\n"...)
}

var errBadLine = errors.New("malformed audit JSONL line")

// parseLine parses one JSONL line (without its newline). For a record
// line, r.Data aliases line. The record's Time is read from the document's
// leading @timestamp when present.
func parseLine(line []byte) (lineKind, record.Record, record.Checkpoint, error) {
	var r record.Record
	if bytes.HasPrefix(line, []byte(cpPrefix)) {
		if len(line) < len(cpPrefix)+1 || line[len(line)-1] != '}' {
			return 0, r, record.Checkpoint{}, errBadLine
		}
		cp, err := chain.ParseCheckpointJSON(line[len(cpPrefix) : len(line)-1])
		if err != nil {
			return 0, r, record.Checkpoint{}, fmt.Errorf("%w: %w", errBadLine, err)
		}
		return lineCheckpoint, r, cp, nil
	}
	if !bytes.HasPrefix(line, []byte(linePrefix)) {
		return 0, r, record.Checkpoint{}, errBadLine
	}
	p := line[len(linePrefix):]
	i := 0
	for i < len(p) && i <= 128 && record.InstanceByte(p[i]) {
		i++
	}
	if i == 0 || i > 128 || !bytes.HasPrefix(p[i:], []byte(`","seq":`)) {
		return 0, r, record.Checkpoint{}, errBadLine
	}
	r.Instance = string(p[:i])
	p = p[i+len(`","seq":`):]
	j := 0
	for j < len(p) && j < 20 && p[j] >= '0' && p[j] <= '9' {
		j++
	}
	if j == 0 || (p[0] == '0') {
		return 0, r, record.Checkpoint{}, errBadLine
	}
	seq, err := strconv.ParseUint(string(p[:j]), 10, 64)
	if err != nil {
		return 0, r, record.Checkpoint{}, errBadLine
	}
	r.Seq = seq
	p = p[j:]
	const prevKey, hashKey, docKey = `,"prev":"`, `","hash":"`, `","doc":`
	if len(p) < len(prevKey)+64+len(hashKey)+64+len(docKey)+2 {
		return 0, r, record.Checkpoint{}, errBadLine
	}
	p, ok := cutHashField(p, prevKey, &r.PrevHash)
	if ok {
		p, ok = cutHashField(p, hashKey, &r.Hash)
	}
	if !ok || string(p[:len(docKey)]) != docKey {
		return 0, r, record.Checkpoint{}, errBadLine
	}
	p = p[len(docKey):]
	if len(p) < 3 || p[0] != '{' || p[len(p)-1] != '}' || p[len(p)-2] != '}' {
		return 0, r, record.Checkpoint{}, errBadLine
	}
	r.Data = p[:len(p)-1]
	r.Time = record.DocTime(r.Data)
	return lineRecord, r, record.Checkpoint{}, nil
}

// hexVal maps a lower-case hex digit to its value and anything else to
// 0xff: the line format allows only lower-case hex, so lines are canonical.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
	}
	return t
}()

// cutHashField reads key and the 64 lower-case hex digits after it, at the
// start of p, into h, and returns the rest of p.
func cutHashField(p []byte, key string, h *[32]byte) ([]byte, bool) {
	if len(p) < len(key)+64 || string(p[:len(key)]) != key || !decodeHash(h, p[len(key):len(key)+64]) {
		return nil, false
	}
	return p[len(key)+64:], true
}

// decodeHash decodes 64 lower-case hex digits into h.
func decodeHash(h *[32]byte, b []byte) bool {
	if len(b) != 64 {
		return false
	}
	var bad byte
	for i := 0; i < 32; i++ {
		hi, lo := hexVal[b[2*i]], hexVal[b[2*i+1]]
		bad |= hi | lo
		h[i] = hi<<4 | lo&0x0f
	}
	return bad&0xf0 == 0
}
