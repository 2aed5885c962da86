package ratelimit

import (
	"context"
	"encoding/binary"
	"sort"
	"sync"
	"sync/atomic"
)

// memShards is the number of independently locked shards. A power of two.
const memShards = 64

// MemoryStore keeps GCRA state in process memory: one int64 theoretical
// arrival time per key, in sharded maps bounded by a key limit. Idle keys
// (whose budget is full again) carry no information and are evicted first.
type MemoryStore struct {
	clock      Clock
	maxPerShrd atomic.Int64
	shards     [memShards]memShard
	evictions  atomic.Uint64
}

type memShard struct {
	mu  sync.Mutex
	tat map[uint64]int64
	// sweepAfter is the earliest time a key of the full shard becomes
	// idle: before it, a sweep would free nothing and is skipped.
	sweepAfter int64
	_          [32]byte // keep shards on separate cache lines
}

// keys returns the number of keys the shard holds.
func (sh *memShard) keys() int {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return len(sh.tat)
}

// NewMemoryStore returns a store holding at most maxKeys keys (0 means
// 1,000,000) on the given clock (nil means SystemClock).
func NewMemoryStore(maxKeys int, clock Clock) *MemoryStore {
	if clock == nil {
		clock = SystemClock
	}
	s := &MemoryStore{clock: clock}
	s.SetMaxKeys(maxKeys)
	for i := range s.shards {
		s.shards[i].tat = make(map[uint64]int64)
	}
	return s
}

// SetMaxKeys changes the key limit (0 means 1,000,000). It applies to new
// keys; a smaller limit is reached as keys are evicted.
func (s *MemoryStore) SetMaxKeys(maxKeys int) {
	s.maxPerShrd.Store(int64(perShard(maxKeys, memShards)))
}

// Len returns the number of keys held.
func (s *MemoryStore) Len() int { return tableLen(s.shards[:]) }

// Evictions returns how many keys were evicted to respect the limit while
// their budget was not yet full.
func (s *MemoryStore) Evictions() uint64 { return s.evictions.Load() }

func memKey(k KeyHash) uint64 { return binary.LittleEndian.Uint64(k[:8]) }

// maxChecks bounds how many zones one request may match; more are refused
// by the limiter's configuration.
const maxChecks = 16

// Take decides all checks together under the locks of their shards.
func (s *MemoryStore) Take(_ context.Context, checks []Check, out []Outcome) (bool, error) {
	var idx [maxChecks]int
	shardIdx := s.lockShards(checks, idx[:0])
	defer s.unlockShards(shardIdx)

	now := s.clock()
	var newTAT [maxChecks]int64
	allowed := true
	for i, c := range checks {
		sh := &s.shards[memKey(c.Key)%memShards]
		tat := sh.tat[memKey(c.Key)]
		out[i], newTAT[i] = gcra(tat, now, c.Limit)
		allowed = allowed && out[i].Allowed
	}
	if !allowed {
		return false, nil
	}
	for i, c := range checks {
		s.shards[memKey(c.Key)%memShards].put(memKey(c.Key), newTAT[i], now, s)
	}
	return true, nil
}

// Refund gives one request back to each key.
func (s *MemoryStore) Refund(_ context.Context, checks []Check) error {
	var idx [maxChecks]int
	shardIdx := s.lockShards(checks, idx[:0])
	defer s.unlockShards(shardIdx)
	now := s.clock()
	for _, c := range checks {
		sh := &s.shards[memKey(c.Key)%memShards]
		k := memKey(c.Key)
		tat, ok := sh.tat[k]
		if !ok {
			continue
		}
		if tat = refund(tat, c.Limit); tat <= now {
			delete(sh.tat, k) // budget full: nothing to remember
		} else {
			sh.tat[k] = tat
		}
	}
	return nil
}

// lockShards locks the distinct shards of checks in ascending order (so
// concurrent multi-zone decisions cannot deadlock) and returns them.
func (s *MemoryStore) lockShards(checks []Check, idx []int) []int {
	for _, c := range checks {
		i := int(memKey(c.Key) % memShards)
		dup := false
		for _, j := range idx {
			if j == i {
				dup = true
				break
			}
		}
		if !dup {
			idx = append(idx, i)
		}
	}
	if len(idx) > 1 {
		sort.Ints(idx)
	}
	for _, i := range idx {
		s.shards[i].mu.Lock()
	}
	return idx
}

func (s *MemoryStore) unlockShards(idx []int) {
	for _, i := range idx {
		s.shards[i].mu.Unlock()
	}
}

// put stores a TAT, making room first when the shard is full.
func (sh *memShard) put(k uint64, tat, now int64, s *MemoryStore) {
	if _, exists := sh.tat[k]; !exists && int64(len(sh.tat)) >= s.maxPerShrd.Load() {
		sh.evict(now, s)
	}
	sh.tat[k] = tat
}

// evict removes every idle key of the shard; when none is idle, it removes
// the key closest to idle among a few (map iteration order is random). A
// full sweep runs only when some key may have become idle since the last
// one, so a flood of new keys costs O(1) per key, not a scan each.
func (sh *memShard) evict(now int64, s *MemoryStore) {
	if now >= sh.sweepAfter {
		freed, earliest := 0, int64(1<<63-1)
		for k, tat := range sh.tat {
			if tat <= now {
				delete(sh.tat, k)
				freed++
			} else if tat < earliest {
				earliest = tat
			}
		}
		sh.sweepAfter = earliest
		if freed > 0 {
			return
		}
	}
	var victim uint64
	best, seen := int64(1<<63-1), 0
	for k, tat := range sh.tat {
		if tat < best {
			victim, best = k, tat
		}
		if seen++; seen == 8 {
			break
		}
	}
	delete(sh.tat, victim)
	s.evictions.Add(1)
}
