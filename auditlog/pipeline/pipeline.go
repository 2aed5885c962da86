package pipeline

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Pipeline takes events from producers and delivers them to every sink,
// durably and in order. See NOTES and the package documentation for the
// guarantees.
//
// Emit assigns the event its id, time, instance and the next gapless
// sequence number, encodes it canonically, links it into the hash chain and
// queues it, all in memory. A writer goroutine appends the queue to the
// spool and fsyncs it every FsyncInterval, adding signed checkpoints; only
// then do sinks see the records. Each sink reads the spool at its own
// pace from a persisted cursor, retrying with backoff, so a slow or dead
// sink never holds back Emit or the other sinks, and nothing is lost while
// it is down.
type Pipeline struct {
	cfg      Config
	log      *zap.Logger
	instance string
	key      ed25519.PrivateKey

	mu      sync.Mutex
	seq     uint64
	prev    [32]byte        // the chain's head; the writer's alone once it runs
	pending []record.Record // queued records, not yet encoded or chained
	// slab is storage for the queued events, prefaulted by the writer,
	// so that Emit neither allocates nor takes a page fault.
	slab   []secevent.Event
	closed bool

	flushReq  chan struct{}
	stopOnce  sync.Once
	stopWrite chan struct{}
	writeDone chan struct{}
	crashed   atomic.Bool

	sp     *spool
	recent *recentRing // decoded events of the newest durable records

	notifyMu sync.Mutex
	notify   chan struct{} // closed and replaced whenever the spool grows
	drained  atomic.Bool   // the writer has written its last frame

	runners []*sinkRunner
	wg      sync.WaitGroup
	// deliverCtx is cancelled when Close gives up waiting (or on crash).
	deliverCtx    context.Context
	cancelDeliver context.CancelFunc

	durableSeq   atomic.Uint64
	unwritten    atomic.Int64 // events taken from the queue but not yet durable
	dropped      atomic.Uint64
	encodeErrors atomic.Uint64
	spoolErrors  atomic.Uint64
	checkpoints  atomic.Uint64
	lastDropLog  atomic.Int64

	// Writer-goroutine state.
	lastBatch  int
	sinceCP    int
	lastCPTime time.Time
	cpSeq      uint64
}

// NewPipeline opens the spool in cfg.SpoolDir, resumes the chain from its
// tail (seq and previous hash), and starts the writer and one delivery
// goroutine per sink.
func NewPipeline(cfg Config) (*Pipeline, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sp, err := openSpool(cfg.SpoolDir, cfg.Instance)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{
		cfg:       cfg,
		log:       cfg.Logger,
		instance:  cfg.Instance,
		key:       cfg.SigningKey,
		seq:       sp.lastSeq,
		prev:      sp.lastHash,
		flushReq:  make(chan struct{}, 1),
		stopWrite: make(chan struct{}),
		writeDone: make(chan struct{}),
		sp:        sp,
		notify:    make(chan struct{}),
		pending:   prefault(make([]record.Record, 0, 1024)),
		slab:      prefault(make([]secevent.Event, 0, 1024)),
		cpSeq:     sp.lastSeq,
		recent:    newRecentRing(8192),
	}
	if err := p.resumeFromSinks(); err != nil {
		sp.close()
		return nil, err
	}
	p.durableSeq.Store(p.sp.lastSeq)
	p.lastCPTime = cfg.Now()
	p.deliverCtx, p.cancelDeliver = context.WithCancel(context.Background())
	names := map[string]int{}
	for _, s := range cfg.Sinks {
		name := cursorName(s.Name())
		names[name]++
		if n := names[name]; n > 1 {
			name = fmt.Sprintf("%s-%d", name, n)
		}
		r, err := newSinkRunner(p, s, name)
		if err != nil {
			sp.close()
			return nil, err
		}
		p.runners = append(p.runners, r)
	}
	p.log.Info("audit pipeline started",
		zap.String("instance", p.instance),
		zap.Uint64("resume_seq", p.seq),
		zap.String("spool", cfg.SpoolDir),
		zap.Int("sinks", len(p.runners)))
	go p.writer()
	for _, r := range p.runners {
		p.wg.Add(1)
		go r.run()
	}
	return p, nil
}

// HeadReader is implemented by sinks that can say which record of a chain
// they hold last. NewPipeline uses it so that a lost or replaced spool
// continues the chain where the sinks have it (seq and hash) instead of
// restarting at seq 1, which the sinks would take for replays.
type HeadReader interface {
	Head(ctx context.Context, instance string) (seq uint64, hash [32]byte, err error)
}

// resumeFromSinks moves the spool's head forward to the furthest sink
// head when the spool is behind it (deleted, restored from backup, or
// lost its tail to disk damage).
func (p *Pipeline) resumeFromSinks() error {
	var best uint64
	var bestHash [32]byte
	from := ""
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, s := range p.cfg.Sinks {
		hr, ok := s.(HeadReader)
		if !ok {
			continue
		}
		seq, h, err := hr.Head(ctx, p.instance)
		if err != nil {
			// A sink that cannot answer now (Postgres down) must not keep
			// the edge from starting; the spool's own tail stands.
			p.log.Warn("audit sink head unknown", zap.String("sink", s.Name()), zap.Error(err))
			continue
		}
		if seq > best {
			best, bestHash, from = seq, h, s.Name()
		}
	}
	if best <= p.sp.lastSeq {
		return nil
	}
	p.log.Error("audit spool is behind a sink: continuing the chain from the sink's head",
		zap.String("sink", from), zap.Uint64("spool_tail", p.sp.lastSeq), zap.Uint64("sink_head", best))
	if err := p.sp.createSegment(best+1, bestHash); err != nil {
		return err
	}
	p.seq, p.prev, p.cpSeq = best, bestHash, best
	return nil
}

// Instance returns the chain's instance name.
func (p *Pipeline) Instance() string { return p.instance }

// PublicKey returns the checkpoint verification key.
func (p *Pipeline) PublicKey() ed25519.PublicKey { return p.key.Public().(ed25519.PublicKey) }

// Emit records e. It keeps e.Labels until the writer has copied it: the
// caller must not modify that map afterwards (producers build a fresh
// map per event). It never blocks on I/O and never fails the caller: the
// event is queued in memory for the next spool write. Only when the spool
// itself has stalled for QueueSize events (a dead local disk), or after
// Close, is an event dropped, before it gets a sequence number so the
// chain stays gapless; drops are counted in Stats and logged.
func (p *Pipeline) Emit(e secevent.Event) {
	if e.Time.IsZero() {
		e.Time = p.cfg.Now()
	}
	e.Instance = p.instance
	if err := record.Encodable(&e); err != nil {
		p.encodeErrors.Add(1)
		p.log.Error("audit event not encodable", zap.String("action", string(e.Action)), zap.Error(err))
		return
	}
	// The caller pays for a copy of the event's fields and a sequence
	// number. The event id (when the caller set none), the cleaned copy
	// of the labels, the canonical bytes and the chain hash come from the
	// writer, in sequence order, off the request's path. The copy goes
	// into the writer's prefaulted slab: no allocation, no page fault.
	s := record.SanitizeFields(e)
	p.mu.Lock()
	if p.closed || len(p.pending)+int(p.unwritten.Load()) >= p.cfg.QueueSize {
		closed := p.closed
		p.mu.Unlock()
		p.drop(e, closed)
		return
	}
	p.seq++
	s.Sequence = p.seq
	var ev *secevent.Event
	if k := len(p.slab); k < cap(p.slab) {
		p.slab = p.slab[:k+1]
		ev = &p.slab[k]
	} else {
		ev = new(secevent.Event) // a burst beyond the writer's estimate
	}
	*ev = s
	p.pending = append(p.pending, record.Record{Instance: p.instance, Seq: p.seq, EventID: s.ID, Time: s.Time, Event: ev})
	n := len(p.pending)
	p.mu.Unlock()
	if n == p.cfg.MaxBatch*4 {
		select {
		case p.flushReq <- struct{}{}:
		default:
		}
	}
}

func (p *Pipeline) drop(e secevent.Event, closed bool) {
	p.dropped.Add(1)
	now := time.Now().UnixNano()
	last := p.lastDropLog.Load()
	if now-last > int64(time.Second) && p.lastDropLog.CompareAndSwap(last, now) {
		p.log.Error("audit event dropped",
			zap.String("action", string(e.Action)),
			zap.Bool("pipeline_closed", closed),
			zap.Uint64("dropped_total", p.dropped.Load()))
	}
}

// wake tells the sink runners the spool has grown.
func (p *Pipeline) wake() {
	p.notifyMu.Lock()
	close(p.notify)
	p.notify = make(chan struct{})
	p.notifyMu.Unlock()
}

func (p *Pipeline) waitChan() <-chan struct{} {
	p.notifyMu.Lock()
	defer p.notifyMu.Unlock()
	return p.notify
}

// ErrNotDrained is returned by Close when its context ended before every
// sink had received every record; the rest stays in the spool and is
// delivered after the next start.
var ErrNotDrained = errors.New("audit pipeline closed before every sink caught up")

// Close stops taking events, writes and fsyncs what is queued with a final
// checkpoint, waits (until ctx ends) for every sink to receive everything,
// persists the cursors and closes the sinks and the spool.
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("audit pipeline already closed")
	}
	p.closed = true
	p.mu.Unlock()
	p.stopWriter()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		p.cancelDeliver()
		<-done
		err = fmt.Errorf("%w: %w", ErrNotDrained, ctx.Err())
	}
	p.cancelDeliver()
	p.collect()
	for _, r := range p.runners {
		if e := r.saveCursor(); e != nil && err == nil {
			err = e
		}
		if e := r.sink.Close(); e != nil && err == nil {
			err = fmt.Errorf("close audit sink %s: %w", r.name, e)
		}
	}
	if e := p.sp.close(); e != nil && err == nil {
		err = fmt.Errorf("close audit spool: %w", e)
	}
	p.log.Info("audit pipeline closed", zap.Uint64("last_seq", p.durableSeq.Load()), zap.Error(err))
	return err
}

// crash stops the pipeline as a SIGKILL would: nothing queued is written,
// no cursor or file is flushed. Tests use it to prove the loss bound.
func (p *Pipeline) crash() {
	p.crashed.Store(true)
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.stopWriter()
	p.drained.Store(true)
	p.cancelDeliver()
	p.wake()
	p.wg.Wait()
	p.sp.close()
	for _, r := range p.runners {
		r.reader.close()
	}
}

// stopWriter stops the writer goroutine and waits for it.
func (p *Pipeline) stopWriter() {
	p.stopOnce.Do(func() { close(p.stopWrite) })
	<-p.writeDone
}
