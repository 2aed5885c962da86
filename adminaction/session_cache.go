package adminaction

import (
	"container/list"
	"sync"
	"time"
)

// sessionCache is a bounded map with one TTL for every entry: entries go
// in insertion order, which is also expiry order, so eviction of the
// oldest drops the entry that would expire first.
type sessionCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*list.Element
	order *list.List // of *sessionCacheEntry, oldest at the front
}

type sessionCacheEntry struct {
	key     string
	value   Session
	expires time.Time
}

func newSessionCache(max int) *sessionCache {
	return &sessionCache{max: max, items: make(map[string]*list.Element), order: list.New()}
}

// get returns a live entry.
func (c *sessionCache) get(key string, now time.Time) (Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return Session{}, false
	}
	e := el.Value.(*sessionCacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, key)
		return Session{}, false
	}
	return e.value, true
}

// put stores an entry, dropping the oldest entries (which expire first)
// while the cache is full.
func (c *sessionCache) put(key string, v Session, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
	for c.order.Len() >= c.max {
		front := c.order.Front()
		c.order.Remove(front)
		delete(c.items, front.Value.(*sessionCacheEntry).key)
	}
	c.items[key] = c.order.PushBack(&sessionCacheEntry{key: key, value: v, expires: expires})
}

// remove drops an entry.
func (c *sessionCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
}

func (c *sessionCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}
