package ratelimit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// errStoreClosed answers calls made after the store was closed.
var errStoreClosed = errors.New("store closed")

// Batching: a few workers send script calls to Redis; while a worker's
// pipeline is in flight, new calls queue, and its next pipeline carries
// all of them (group commit). An idle edge pays no wait: a lone call is
// sent at once. A busy one pays one write and one read per batch instead
// of per request, on both sides of the socket: most of what a decision
// costs Redis is per-call network work, not the script.
const (
	batchWorkers = 4
	maxBatch     = 64
)

// scriptBatcher coalesces concurrent script calls into pipelines.
type scriptBatcher struct {
	store    *RedisStore
	queue    chan *scriptCall
	start    sync.Once
	stop     chan struct{}
	stopOnce sync.Once
	workers  sync.WaitGroup
}

// scriptCall is one queued script call and, once done is closed, its
// answer.
type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
	res    any
	err    error
	done   chan struct{}
}

func newScriptBatcher(s *RedisStore) *scriptBatcher {
	return &scriptBatcher{store: s, queue: make(chan *scriptCall, 4*maxBatch), stop: make(chan struct{})}
}

// run queues a call and waits for its answer or ctx. A call whose caller
// gave up may still run: a charge that errs towards stricter limits.
func (b *scriptBatcher) run(ctx context.Context, script *redis.Script, keys []string, args []any) (any, error) {
	b.start.Do(func() {
		b.workers.Add(batchWorkers)
		for i := 0; i < batchWorkers; i++ {
			go b.work()
		}
	})
	c := &scriptCall{script: script, keys: keys, args: args, done: make(chan struct{})}
	select {
	case b.queue <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.stop:
		return nil, errStoreClosed
	}
	select {
	case <-c.done:
		return c.res, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// work sends batches until the batcher stops.
func (b *scriptBatcher) work() {
	defer b.workers.Done()
	batch := make([]*scriptCall, 0, maxBatch)
	for {
		select {
		case <-b.stop:
			return
		case c := <-b.queue:
			batch = append(batch[:0], c)
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case c := <-b.queue:
				batch = append(batch, c)
			default:
				break fill
			}
		}
		b.send(batch)
	}
}

// send runs one pipeline for the batch (plus one for scripts Redis did not
// have yet) and hands every call its answer.
func (b *scriptBatcher) send(batch []*scriptCall) {
	ctx, cancel := context.WithTimeout(context.Background(), b.store.timeout)
	defer cancel()
	if len(batch) == 1 {
		c := batch[0]
		c.res, c.err = c.script.Run(ctx, b.store.client, c.keys, c.args...).Result()
		close(c.done)
		return
	}
	cmds := b.store.pipelineScripts(ctx, len(batch), func(i int) (*redis.Script, []string, []any) {
		return batch[i].script, batch[i].keys, batch[i].args
	})
	for i, c := range batch {
		c.res, c.err = cmds[i].Result()
		close(c.done)
	}
}

// close stops the workers and waits for them (at most one batch timeout).
func (b *scriptBatcher) close() {
	b.stopOnce.Do(func() { close(b.stop) })
	done := make(chan struct{})
	go func() { b.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * b.store.timeout):
	}
}
