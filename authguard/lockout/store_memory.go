package lockout

import (
	"bytes"
	"context"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryLockStoreOptions configure a MemoryLockStore.
type MemoryLockStoreOptions struct {
	// MaxEntries bounds the records kept; when a shard is full the record
	// expiring soonest among a few sampled ones is dropped (records
	// without expiry, hard locks, last). Default 200,000 (well under
	// 100 MB).
	MaxEntries int
	// Clock is the store's time. Default time.Now; tests inject one.
	Clock func() time.Time
}

// DefaultMemoryMaxEntries is the default MaxEntries.
const DefaultMemoryMaxEntries = 200_000

const memShards = 64

// MemoryLockStore is the in-process LockStore: sharded maps behind
// mutexes, bounded, with lazily expired records. It holds no reference to
// any engine, so Caddy can keep one across config reloads (a UsagePool)
// while the engine over it is rebuilt.
type MemoryLockStore struct {
	seed     maphash.Seed
	perShard int
	clock    func() time.Time
	shards   [memShards]memShard
}

type memShard struct {
	mu sync.Mutex
	m  map[string]memEntry
}

type memEntry struct {
	val []byte
	exp time.Time // zero: no expiry
}

// NewMemoryLockStore returns an empty store.
func NewMemoryLockStore(o MemoryLockStoreOptions) *MemoryLockStore {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMemoryMaxEntries
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	s := &MemoryLockStore{seed: maphash.MakeSeed(), clock: o.Clock, perShard: (o.MaxEntries + memShards - 1) / memShards}
	for i := range s.shards {
		s.shards[i].m = map[string]memEntry{}
	}
	return s
}

func (s *MemoryLockStore) shard(key string) *memShard { return &s.shards[s.shardIndex(key)] }

func (s *MemoryLockStore) shardIndex(key string) int {
	return int(maphash.String(s.seed, key) % memShards)
}

// Update implements LockStore. fn runs under the shard's lock, once.
func (s *MemoryLockStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	_, err := s.UpdateMulti(ctx, []string{key}, fn.multi())
	return err
}

// UpdateMulti implements MultiLockStore: fn runs once, under the locks of
// the keys' shards (taken in shard order).
func (s *MemoryLockStore) UpdateMulti(ctx context.Context, keys []string, fn MultiUpdateFunc) (bool, error) {
	if err := ctx.Err(); err != nil {
		return true, err
	}
	shards := make([]int, 0, len(keys))
	for _, k := range keys {
		if i := s.shardIndex(k); !slices.Contains(shards, i) {
			shards = append(shards, i)
		}
	}
	slices.Sort(shards)
	for _, i := range shards {
		s.shards[i].mu.Lock()
	}
	defer func() {
		for _, i := range shards {
			s.shards[i].mu.Unlock()
		}
	}()
	now := s.clock()
	cur := make([][]byte, len(keys))
	present := make([]bool, len(keys))
	for j, key := range keys {
		sh := s.shard(key)
		e, ok := sh.m[key]
		if ok && !e.exp.IsZero() && !now.Before(e.exp) {
			delete(sh.m, key)
			ok = false
		}
		if ok {
			cur[j], present[j] = e.val, true
		}
	}
	next, ttl := fn(now, cur)
	for j, key := range keys {
		sh := s.shard(key)
		if next[j] == nil {
			delete(sh.m, key)
			continue
		}
		if present[j] && bytes.Equal(next[j], cur[j]) {
			continue
		}
		if _, ok := sh.m[key]; !ok && len(sh.m) >= s.perShard {
			sh.evict(now)
		}
		ne := memEntry{val: append([]byte(nil), next[j]...)}
		if ttl[j] > 0 {
			ne.exp = now.Add(ttl[j])
		}
		sh.m[key] = ne
	}
	return true, nil
}

// evict drops expired records met in a short walk, or else the sampled
// record that expires soonest. Map iteration order is random, so the
// sample is too.
func (sh *memShard) evict(now time.Time) {
	const sample = 8
	var victim string
	var victimExp time.Time
	n := 0
	for k, e := range sh.m {
		if !e.exp.IsZero() && !now.Before(e.exp) {
			delete(sh.m, k)
			return
		}
		if victim == "" || earlier(e.exp, victimExp) {
			victim, victimExp = k, e.exp
		}
		if n++; n >= sample {
			break
		}
	}
	if victim != "" {
		delete(sh.m, victim)
	}
}

// earlier orders expiries with "never" last.
func earlier(a, b time.Time) bool {
	if a.IsZero() {
		return false
	}
	return b.IsZero() || a.Before(b)
}

// Scan implements LockStore.
func (s *MemoryLockStore) Scan(ctx context.Context, prefix string, fn func(key string, val []byte) error) error {
	now := s.clock()
	for i := range s.shards {
		if err := ctx.Err(); err != nil {
			return err
		}
		sh := &s.shards[i]
		type kv struct {
			k string
			v []byte
		}
		var found []kv
		sh.mu.Lock()
		for k, e := range sh.m {
			if strings.HasPrefix(k, prefix) && (e.exp.IsZero() || now.Before(e.exp)) {
				found = append(found, kv{k, e.val})
			}
		}
		sh.mu.Unlock()
		for _, f := range found {
			if err := fn(f.k, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Len is the number of records held (expired ones not yet dropped
// included), for metrics and tests.
func (s *MemoryLockStore) Len() int {
	n := 0
	for i := range s.shards {
		s.shards[i].mu.Lock()
		n += len(s.shards[i].m)
		s.shards[i].mu.Unlock()
	}
	return n
}
