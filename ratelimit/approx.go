package ratelimit

import (
	"sync"
	"sync/atomic"
	"time"
)

// Approximate zones on a shared store: each instance keeps, per key, the
// key's theoretical arrival time as the shared store last reported it,
// plus the admissions it made since (pending, then sending while a batch
// carries them to the store). It decides locally, with GCRA over that
// view, as long as fewer than Lease admissions of the key are uncounted by
// the store; past that the key's requests go to the store one by one,
// exactly. A background flusher sends the pending admissions of every key
// in batches (one script for many keys) every sync interval, and learns
// each key's new state from the reply.
//
// Every local admission is checked against what the store had counted
// when this instance last heard back for the key, plus this instance's own
// uncounted admissions; what it cannot see is the other instances'
// uncounted admissions, at most Lease each. So over any window the zone
// admits at most instances × Lease requests more than an exact zone would
// (Zone.OvershootBound), plus what the error of the clock offset (half a
// round trip) is worth in emission intervals, nothing at the rates zones
// use. The other way, an approximate zone can only be a little stricter
// than the exact one: the view and the batches count a key's uncounted
// admissions as if made at the moment of the decision or the batch, not
// earlier, so a key whose budget was refilling meanwhile is charged up to
// its uncounted admissions' worth of refill early.

// approxShards is the number of independently locked shards of the
// approximate table. A power of two.
const approxShards = 64

// approxTable is the per-instance state of approximate zones.
type approxTable struct {
	maxPerShard int
	// offset is the shared store's clock minus the local clock, in
	// nanoseconds, as learned from the last batch reply.
	offset atomic.Int64
	clock  Clock
	shards [approxShards]approxShard
}

type approxShard struct {
	mu sync.Mutex
	m  map[KeyHash]approxEntry
	// dirty lists the keys with pending admissions.
	dirty []KeyHash
	_     [24]byte
}

// keys returns the number of keys the shard holds.
func (sh *approxShard) keys() int {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return len(sh.m)
}

// approxEntry is one key's view.
type approxEntry struct {
	zone  string
	limit Limit
	// tat is the key's TAT as last reported by the store, on the local
	// clock (0: never heard of).
	tat int64
	// pending counts admissions not yet sent; sending those in the batch
	// in flight.
	pending, sending int64
	dirty            bool
}

// charge is one key's pending admissions, sent in a batch.
type charge struct {
	key   KeyHash
	zone  string
	limit Limit
	n     int64
}

func newApproxTable(maxKeys int, clock Clock) *approxTable {
	if clock == nil {
		clock = SystemClock
	}
	t := &approxTable{maxPerShard: perShard(maxKeys, approxShards), clock: clock}
	for i := range t.shards {
		t.shards[i].m = make(map[KeyHash]approxEntry)
	}
	return t
}

func (t *approxTable) shard(k KeyHash) *approxShard { return &t.shards[memKey(k)%approxShards] }

// approxResult is a local decision's kind.
type approxResult uint8

const (
	approxAdmitted approxResult = iota // admitted locally, counted as pending
	approxDenied                       // refused locally, nothing counted
	approxRemote                       // credit spent: ask the store exactly
)

// take decides c locally at now (local clock, ns) and fills out.
func (t *approxTable) take(c Check, now int64, out *Outcome) approxResult {
	sh := t.shard(c.Key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[c.Key]
	if !ok {
		if len(sh.m) >= t.maxPerShard && !sh.evict(now) {
			return approxRemote // full of keys in flight: decide exactly
		}
		e = approxEntry{zone: c.Zone, limit: c.Limit}
	}
	if e.pending+e.sending >= c.Lease {
		return approxRemote
	}
	interval, tau := int64(c.Limit.Interval), int64(c.Limit.tolerance())
	tat := max(e.tat, now) + (e.pending+e.sending)*interval
	newTAT := tat + interval
	allowAt := newTAT - tau
	if now < allowAt {
		*out = Outcome{RetryAfter: time.Duration(allowAt - now), ResetAfter: time.Duration(tat - now)}
		if ok {
			sh.m[c.Key] = e
		}
		return approxDenied
	}
	*out = Outcome{Allowed: true, Remaining: (now - allowAt) / interval, ResetAfter: time.Duration(newTAT - now)}
	e.pending++
	e.zone, e.limit = c.Zone, c.Limit
	if !e.dirty {
		e.dirty = true
		sh.dirty = append(sh.dirty, c.Key)
	}
	sh.m[c.Key] = e
	return approxAdmitted
}

// untake withdraws a local admission that the rest of its decision
// refused, or a refund: it reports false when nothing of the key is
// pending (the admission was already sent: refund it on the store).
func (t *approxTable) untake(k KeyHash) bool {
	sh := t.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[k]
	if !ok || e.pending == 0 {
		return false
	}
	e.pending--
	sh.m[k] = e
	return true
}

// evict makes room in a full shard: it drops keys whose view says their
// budget is full again and that have nothing uncounted, or else one
// settled key met in a short walk (forgetting a view only loses what it
// knew: the instance then treats the key as fresh, within its credit).
// It reports whether room was made. Called with the shard locked.
func (sh *approxShard) evict(now int64) bool {
	var victim KeyHash
	haveVictim, freed, n := false, false, 0
	for k, e := range sh.m {
		if e.pending == 0 && e.sending == 0 {
			if e.tat <= now {
				delete(sh.m, k)
				freed = true
			} else if !haveVictim {
				victim, haveVictim = k, true
			}
		}
		if n++; n >= 64 {
			break
		}
	}
	if !freed && haveVictim {
		delete(sh.m, victim)
		freed = true
	}
	return freed
}

// collect moves every pending admission to sending and returns the
// charges to send, appended to buf.
func (t *approxTable) collect(buf []charge) []charge {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for _, k := range sh.dirty {
			e, ok := sh.m[k]
			if !ok || e.pending == 0 {
				if ok {
					e.dirty = false
					sh.m[k] = e
				}
				continue
			}
			buf = append(buf, charge{key: k, zone: e.zone, limit: e.limit, n: e.pending})
			e.sending += e.pending
			e.pending = 0
			e.dirty = false
			sh.m[k] = e
		}
		sh.dirty = sh.dirty[:0]
		sh.mu.Unlock()
	}
	return buf
}

// settle records a batch reply for c: the key's TAT on the store (local
// clock) and that its charge arrived.
func (t *approxTable) settle(c charge, tat int64) {
	sh := t.shard(c.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[c.key]
	if !ok {
		return
	}
	e.sending -= c.n
	if e.sending < 0 {
		e.sending = 0
	}
	e.tat = tat
	sh.m[c.key] = e
}

// restore puts a charge that did not reach the store back to pending, to
// be sent with the next batch.
func (t *approxTable) restore(c charge) {
	sh := t.shard(c.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[c.key]
	if !ok {
		e = approxEntry{zone: c.zone, limit: c.limit}
	}
	e.sending = max(e.sending-c.n, 0)
	e.pending += c.n
	if !e.dirty {
		e.dirty = true
		sh.dirty = append(sh.dirty, c.key)
	}
	sh.m[c.key] = e
}

// Len returns the number of keys held.
func (t *approxTable) Len() int { return tableLen(t.shards[:]) }

// sweep drops shard i's keys whose budget is full again and that have
// nothing uncounted. The flusher sweeps one shard per batch interval.
func (t *approxTable) sweep(i int, now int64) {
	sh := &t.shards[i%approxShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k, e := range sh.m {
		if e.pending == 0 && e.sending == 0 && e.tat <= now {
			delete(sh.m, k)
		}
	}
}
