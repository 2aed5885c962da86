package chain

import (
	"crypto/sha256"
	"hash"
	"runtime"
	"sync"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// hashPool recomputes record hashes on every core while the caller checks
// linkage: record bytes are copied into batches (the reader's buffers are
// reused) and each mismatch is kept as the lowest bad seq per chain.
type hashPool struct {
	inline bool
	h      hash.Hash
	sum    [32]byte
	jobs   chan *hashBatch
	free   chan *hashBatch
	cur    *hashBatch
	wg     sync.WaitGroup
	mu     sync.Mutex
	bad    map[*chainState]uint64
}

type hashBatch struct {
	st    []*chainState
	seq   []uint64
	prev  [][32]byte
	hash  [][32]byte
	end   []int
	arena []byte
}

const hashBatchSize = 1024

// VerifyWorkers is the number of hashing goroutines (0: hash inline, on
// the reading goroutine); benchmarks compare both.
var VerifyWorkers = runtime.GOMAXPROCS(0)

func newHashPool(n int) *hashPool {
	hp := &hashPool{inline: n <= 0, h: sha256.New(), bad: map[*chainState]uint64{}}
	if hp.inline {
		return hp
	}
	hp.jobs, hp.free = make(chan *hashBatch, 2*n), make(chan *hashBatch, 3*n)
	for i := 0; i < n; i++ {
		hp.wg.Add(1)
		go hp.work()
	}
	return hp
}

func (hp *hashPool) work() {
	defer hp.wg.Done()
	h := sha256.New()
	var sum [32]byte
	for b := range hp.jobs {
		start := 0
		for i := range b.seq {
			h.Reset()
			h.Write(b.prev[i][:])
			h.Write(b.arena[start:b.end[i]])
			h.Sum(sum[:0])
			start = b.end[i]
			if sum != b.hash[i] {
				hp.mu.Lock()
				if old, ok := hp.bad[b.st[i]]; !ok || b.seq[i] < old {
					hp.bad[b.st[i]] = b.seq[i]
				}
				hp.mu.Unlock()
			}
		}
		b.st, b.seq, b.prev, b.hash, b.end, b.arena = b.st[:0], b.seq[:0], b.prev[:0], b.hash[:0], b.end[:0], b.arena[:0]
		select {
		case hp.free <- b:
		default:
		}
	}
}

// add queues rec's hash check (rec.Data is copied).
func (hp *hashPool) add(st *chainState, rec *record.Record) {
	if hp.inline {
		hp.h.Reset()
		hp.h.Write(rec.PrevHash[:])
		hp.h.Write(rec.Data)
		hp.h.Sum(hp.sum[:0])
		if hp.sum != rec.Hash {
			if old, ok := hp.bad[st]; !ok || rec.Seq < old {
				hp.bad[st] = rec.Seq
			}
		}
		return
	}
	if hp.cur == nil {
		select {
		case hp.cur = <-hp.free:
		default:
			hp.cur = &hashBatch{arena: make([]byte, 0, hashBatchSize*800)}
		}
	}
	b := hp.cur
	b.st = append(b.st, st)
	b.seq = append(b.seq, rec.Seq)
	b.prev = append(b.prev, rec.PrevHash)
	b.hash = append(b.hash, rec.Hash)
	b.arena = append(b.arena, rec.Data...)
	b.end = append(b.end, len(b.arena))
	if len(b.seq) == hashBatchSize {
		hp.jobs <- b
		hp.cur = nil
	}
}

// wait finishes the queued checks and returns the lowest bad seq per chain.
func (hp *hashPool) wait() map[*chainState]uint64 {
	if hp.inline {
		return hp.bad
	}
	if hp.cur != nil && len(hp.cur.seq) > 0 {
		hp.jobs <- hp.cur
	}
	hp.cur = nil
	close(hp.jobs)
	hp.wg.Wait()
	return hp.bad
}
