package chain

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sort"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// Tamper names the kind of damage Verify found.
type Tamper string

// The kinds of damage Verify reports.
const (
	// TamperHash: a record's stored bytes do not hash to its stored hash
	// (an edited field, an edited hash).
	TamperHash Tamper = "hash_mismatch"
	// TamperLink: a record's prev is not its predecessor's hash.
	TamperLink Tamper = "link_broken"
	// TamperSequence: the next record is not seq+1 (deleted, inserted
	// or reordered records).
	TamperSequence Tamper = "sequence_break"
	// TamperStart: the chain does not start at seq 1 and no retention
	// checkpoint vouches for where it starts (records cut outside the
	// retention policy).
	TamperStart Tamper = "missing_start"
	// TamperTruncated: a checkpoint commits to a seq the store no longer
	// holds (tail truncation).
	TamperTruncated Tamper = "truncated"
	// TamperCheckpoint: a checkpoint's hash differs from the stored
	// record's at its seq.
	TamperCheckpoint Tamper = "checkpoint_mismatch"
	// TamperSignature: a checkpoint's signature does not verify with the
	// given key.
	TamperSignature Tamper = "checkpoint_signature"
	// TamperMalformed: a stored line or row cannot be parsed.
	TamperMalformed Tamper = "malformed"
)

// Problem is one finding.
type Problem struct {
	Instance string
	// Seq is the first sequence number the problem makes untrustworthy
	// (0 when unknown, e.g. a malformed line).
	Seq    uint64
	Kind   Tamper
	Detail string
}

// InstanceReport is one chain's result.
type InstanceReport struct {
	Instance string
	// First and Last are the first and last seq seen; Records counts them.
	First, Last uint64
	Records     int
	// Checkpoints counts the valid checkpoints; Anchored is the highest
	// seq a valid checkpoint commits to; records after it are not yet
	// covered by a signature.
	Checkpoints int
	Anchored    uint64
	// RetainedFrom is the seq a retention checkpoint lets the chain start
	// at (0: the chain starts at 1).
	RetainedFrom uint64
	// FirstBad is the first untrustworthy seq (0: none) and Kind why.
	FirstBad uint64
	Kind     Tamper
	Detail   string
}

// Report is what Verify found.
type Report struct {
	Records     int
	Checkpoints int
	Instances   []InstanceReport
	// Problems lists the first problem of each bad chain and every
	// checkpoint that fails its signature or a malformed line.
	Problems []Problem
}

// OK reports whether no problem was found.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Instance returns the report of one chain.
func (r Report) Instance(name string) (InstanceReport, bool) {
	for _, ir := range r.Instances {
		if ir.Instance == name {
			return ir, true
		}
	}
	return InstanceReport{}, false
}

// malformedLister is implemented by stores that can list unparsable lines.
type malformedLister interface {
	Malformed(ctx context.Context) ([]MalformedLine, error)
}

type chainState struct {
	rep     InstanceReport
	started bool
	next    uint64
	prev    [32]byte
	cps     map[uint64][32]byte
	maxCP   uint64
	ret     []record.Checkpoint // valid retention checkpoints, by seq
	anchors []uint64            // seqs where a checkpoint matched the stored hash
}

// Verify checks every chain in a store against pub: each record's hash is
// recomputed over its stored bytes, each prev must be its predecessor's
// hash, seq must run gapless per instance from 1 (or from a signed
// retention checkpoint), every checkpoint's signature must verify and its
// (seq, hash) must match the stored record, and no checkpoint may point
// past the last record (tail truncation). It reports the first bad seq of
// each instance and the kind of damage; err is only for read failures.
func Verify(ctx context.Context, r ChainReader, pub ed25519.PublicKey) (Report, error) {
	return VerifyTrusted(ctx, r, TrustedKeys{Any: []ed25519.PublicKey{pub}})
}

// TrustedKeys are the checkpoint signers a verification trusts. Each edge
// instance signs its own chain with its own key, so a store several
// instances share (one PostgreSQL) needs each instance's key; binding a
// key to its instance (ByInstance) means a stolen key of one instance
// cannot vouch for another's chain.
type TrustedKeys struct {
	// ByInstance are keys trusted only for the named instance's chain.
	ByInstance map[string][]ed25519.PublicKey
	// Any are keys trusted for every chain.
	Any []ed25519.PublicKey
	// Only, when set, restricts the verification to these instances'
	// chains; the store's other chains are neither read nor judged.
	Only []string
}

func (k TrustedKeys) wants(instance string) bool {
	return len(k.Only) == 0 || slices.Contains(k.Only, instance)
}

// check verifies cp's signature under a key trusted for its instance.
func (k TrustedKeys) check(cp record.Checkpoint) error {
	err := fmt.Errorf("no trusted public key for instance %q", cp.Instance)
	for _, keys := range [][]ed25519.PublicKey{k.ByInstance[cp.Instance], k.Any} {
		for _, pub := range keys {
			if err = VerifyCheckpoint(cp, pub); err == nil {
				return nil
			}
		}
	}
	return err
}

// VerifyTrusted is Verify with a set of trusted keys (see TrustedKeys).
func VerifyTrusted(ctx context.Context, r ChainReader, keys TrustedKeys) (Report, error) {
	var rep Report
	cps, err := r.ReadCheckpoints(ctx)
	if err != nil {
		return rep, fmt.Errorf("verify: read checkpoints: %w", err)
	}
	states := map[string]*chainState{}
	state := func(inst string) *chainState {
		st := states[inst]
		if st == nil {
			st = &chainState{rep: InstanceReport{Instance: inst}, next: 1, cps: map[uint64][32]byte{}}
			states[inst] = st
		}
		return st
	}
	for _, cp := range cps {
		if !keys.wants(cp.Instance) {
			continue
		}
		st := state(cp.Instance)
		if err := keys.check(cp); err != nil {
			rep.Problems = append(rep.Problems, Problem{Instance: cp.Instance, Seq: cp.Seq, Kind: TamperSignature, Detail: err.Error()})
			continue
		}
		rep.Checkpoints++
		st.rep.Checkpoints++
		if cp.Retention {
			st.ret = append(st.ret, cp)
			continue
		}
		if h, ok := st.cps[cp.Seq]; ok && h != cp.Hash {
			st.bad(cp.Seq, TamperCheckpoint, "two signed checkpoints disagree on this seq")
		}
		st.cps[cp.Seq] = cp.Hash
		st.maxCP = max(st.maxCP, cp.Seq)
	}
	for _, st := range states {
		sort.Slice(st.ret, func(i, j int) bool { return st.ret[i].Seq < st.ret[j].Seq })
	}
	hp := newHashPool(VerifyWorkers)
	var cur *chainState // the previous record's chain: usually this one's too
	err = r.ReadRecords(ctx, func(rec record.Record) error {
		if !keys.wants(rec.Instance) {
			return nil
		}
		rep.Records++
		st := cur
		if st == nil || st.rep.Instance != rec.Instance {
			st = state(rec.Instance)
			cur = st
		}
		st.rep.Records++
		if !st.started {
			st.rep.First = rec.Seq
		}
		st.rep.Last = rec.Seq
		if st.rep.FirstBad != 0 && st.rep.FirstBad <= rec.Seq {
			return nil
		}
		switch {
		case !st.started:
			st.started = true
			if rec.Seq == 1 && rec.PrevHash == ([32]byte{}) {
				break
			}
			if rc, ok := st.retention(rec.Seq); ok && rc.PrevHash == rec.PrevHash {
				st.rep.RetainedFrom = rec.Seq
				break
			}
			if rec.Seq == 1 {
				st.bad(1, TamperLink, "seq 1 does not start from the zero hash")
			} else {
				st.bad(st.expectedStart(rec.Seq), TamperStart, fmt.Sprintf("chain starts at seq %d and no retention checkpoint vouches for it", rec.Seq))
			}
			return nil
		case rec.Seq != st.next:
			// A missing record (found > expected) makes the expected seq
			// the first bad one; a repeated or moved-back one (found <
			// expected) puts two candidates on the found seq.
			st.bad(min(st.next, rec.Seq), TamperSequence, fmt.Sprintf("expected seq %d, found %d", st.next, rec.Seq))
			return nil
		case rec.PrevHash != st.prev:
			st.bad(rec.Seq, TamperLink, "prev is not the previous record's hash")
			return nil
		}
		// The hash is recomputed by the pool, in parallel; linkage above
		// uses the stored hashes, so the order of checks does not matter.
		hp.add(st, &rec)
		if want, ok := st.cps[rec.Seq]; ok {
			if want != rec.Hash {
				st.bad(rec.Seq, TamperCheckpoint, "signed checkpoint commits to another hash")
				return nil
			}
			st.anchors = append(st.anchors, rec.Seq)
		}
		st.next, st.prev = rec.Seq+1, rec.Hash
		return nil
	})
	hashBad := hp.wait()
	if err != nil {
		return rep, fmt.Errorf("verify: read records: %w", err)
	}
	for st, seq := range hashBad {
		st.bad(seq, TamperHash, "stored bytes do not hash to the stored hash")
	}
	for _, st := range states {
		for _, a := range st.anchors {
			if st.rep.FirstBad == 0 || a < st.rep.FirstBad {
				st.rep.Anchored = max(st.rep.Anchored, a)
			}
		}
	}
	if ml, ok := r.(malformedLister); ok {
		bad, err := ml.Malformed(ctx)
		if err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
		for _, b := range bad {
			rep.Problems = append(rep.Problems, Problem{Kind: TamperMalformed, Detail: fmt.Sprintf("%s line %d: %s", b.File, b.Line, b.Err)})
		}
	}

	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := states[n]
		if st.maxCP > 0 && st.maxCP >= st.next && st.rep.FirstBad == 0 {
			// The newest signed checkpoint is past the stored tail.
			from := st.next
			if !st.started {
				from = st.expectedStart(st.maxCP + 1)
			}
			st.bad(from, TamperTruncated, fmt.Sprintf("checkpoint at seq %d, records end at %d", st.maxCP, st.next-1))
		}
		if st.rep.FirstBad != 0 {
			rep.Problems = append(rep.Problems, Problem{Instance: n, Seq: st.rep.FirstBad, Kind: st.rep.Kind, Detail: st.rep.Detail})
		}
		rep.Instances = append(rep.Instances, st.rep)
	}
	return rep, nil
}

// bad records a problem at seq unless an earlier one is known (at the
// same seq the first reported kind stays).
func (st *chainState) bad(seq uint64, kind Tamper, detail string) {
	if st.rep.FirstBad != 0 && st.rep.FirstBad <= seq {
		return
	}
	st.rep.FirstBad, st.rep.Kind, st.rep.Detail = seq, kind, detail
}

// retention returns the valid retention checkpoint at seq.
func (st *chainState) retention(seq uint64) (record.Checkpoint, bool) {
	for _, c := range st.ret {
		if c.Seq == seq {
			return c, true
		}
	}
	return record.Checkpoint{}, false
}

// expectedStart is where the chain should start given the retention
// checkpoints before seq: the latest of them, or 1.
func (st *chainState) expectedStart(seq uint64) uint64 {
	start := uint64(1)
	for _, c := range st.ret {
		if c.Seq < seq {
			start = c.Seq
		}
	}
	return start
}

// WithCheckpoints returns a ChainReader that reads r's records and r's
// checkpoints plus extra ones kept elsewhere (the zap log, Postgres): with
// an external anchor, dropping the newest file together with its
// checkpoints is caught too.
func WithCheckpoints(r ChainReader, extra []record.Checkpoint) ChainReader {
	return &extraCheckpoints{ChainReader: r, extra: extra}
}

type extraCheckpoints struct {
	ChainReader
	extra []record.Checkpoint
}

// ReadCheckpoints returns the store's checkpoints and the extra ones.
func (e *extraCheckpoints) ReadCheckpoints(ctx context.Context) ([]record.Checkpoint, error) {
	cps, err := e.ChainReader.ReadCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	return append(cps, e.extra...), nil
}

// Malformed passes through the store's malformed lines.
func (e *extraCheckpoints) Malformed(ctx context.Context) ([]MalformedLine, error) {
	if ml, ok := e.ChainReader.(malformedLister); ok {
		return ml.Malformed(ctx)
	}
	return nil, nil
}
