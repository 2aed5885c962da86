package auditmod

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/secevent"
)

// auditPipelines holds one running audit log per distinct configuration,
// kept across config reloads; the last app using it closes it.
var auditPipelines = caddy.NewUsagePool()

// activeHub is the hub of the most recently started ocomms app: the admin
// API reads its audit log, and events that old handlers emit after their
// app stopped (requests in flight across a reload) go to it.
var activeHub atomic.Pointer[auditHub]

// activeAudit returns the running audit log of the active app, or nil.
func activeAudit() *pooledAudit {
	if h := activeHub.Load(); h != nil {
		return h.target.Load()
	}
	return nil
}

// ActiveStore returns the store of the active app's running audit log
// (the console queries and verifies it); false when none runs.
func ActiveStore() (setup.Store, bool) {
	p := activeAudit()
	if p == nil {
		return setup.Store{}, false
	}
	return p.store, true
}

// ActiveStats returns the statistics of the active app's running audit
// pipeline; false when none runs.
func ActiveStats() (pipeline.Stats, bool) {
	p := activeAudit()
	if p == nil {
		return pipeline.Stats{}, false
	}
	return p.backend.Stats(), true
}

// chainOwners maps a chain (its spool directory) to the pipeline writing
// it, so that a reload with changed settings never has two writers on one
// chain: the new pipeline closes the old one (flushing it) before opening.
var (
	chainOwnersMu sync.Mutex
	chainOwners   = map[string]*pooledAudit{}
)

// pooledAudit is one running audit log.
type pooledAudit struct {
	mu       sync.RWMutex
	closed   bool
	chain    string
	backend  auditBackend
	store    setup.Store
	settings setup.Settings
	logger   *zap.Logger
}

// Emit hands e to the pipeline; once closed, to the active one.
func (p *pooledAudit) Emit(e secevent.Event) {
	p.mu.RLock()
	if !p.closed {
		p.backend.Emit(e)
		p.mu.RUnlock()
		return
	}
	p.mu.RUnlock()
	if a := activeAudit(); a != nil && a != p {
		a.Emit(e)
	}
}

// Destruct implements caddy.Destructor.
func (p *pooledAudit) Destruct() error {
	chainOwnersMu.Lock()
	if chainOwners[p.chain] == p {
		delete(chainOwners, p.chain)
	}
	chainOwnersMu.Unlock()
	return p.closeNow()
}

// closeNow flushes and closes the pipeline once.
func (p *pooledAudit) closeNow() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	// Undelivered records stay in the durable spool and are replayed by
	// the next pipeline, so a down sink need not hold a reload long.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := p.backend.Close(ctx); err != nil {
		return fmt.Errorf("closing the audit log: %w", err)
	}
	return nil
}

// acquireAudit returns the running audit log for s, opening it when no
// app holds one; release it with releaseAudit.
func acquireAudit(s setup.Settings, logger *zap.Logger) (*pooledAudit, error) {
	v, _, err := auditPipelines.LoadOrNew(s.Key(), func() (caddy.Destructor, error) {
		chain := s.Chain()
		chainOwnersMu.Lock()
		defer chainOwnersMu.Unlock()
		if old := chainOwners[chain]; old != nil {
			if err := old.closeNow(); err != nil {
				logger.Warn("closing the previous audit log", zap.Error(err))
			}
		}
		backend, store, err := setup.Open(s, logger)
		if err != nil {
			return nil, err
		}
		p := &pooledAudit{chain: chain, backend: backend, store: store, settings: s, logger: logger}
		chainOwners[chain] = p
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*pooledAudit), nil
}

func releaseAudit(s setup.Settings) {
	if _, err := auditPipelines.Delete(s.Key()); err != nil {
		caddy.Log().Named("ocomms.audit").Error("closing the audit log", zap.Error(err))
	}
}

// auditHub is the Emitter the edge's handlers hold. Once its app started
// it forwards to the app's audit log. Events that arrive before (a server
// can take requests before the ocomms app's Start ran: apps start in no
// fixed order) wait in a bounded buffer that Start replays; events after
// its app stopped go to the active app's log. Disabled: all dropped.
type auditHub struct {
	off     bool // the audit log is disabled
	target  atomic.Pointer[pooledAudit]
	dropped atomic.Uint64

	mu      sync.Mutex
	stopped bool
	early   []secevent.Event
}

// maxEarlyEvents bounds the events held before Start.
const maxEarlyEvents = 4096

// Emit implements secevent.Emitter; it never blocks on I/O.
func (h *auditHub) Emit(e secevent.Event) {
	if h.off {
		return
	}
	if p := h.target.Load(); p != nil {
		p.Emit(e)
		return
	}
	h.mu.Lock()
	if p := h.target.Load(); p != nil {
		h.mu.Unlock()
		p.Emit(e)
		return
	}
	if !h.stopped {
		if len(h.early) < maxEarlyEvents {
			if e.Time.IsZero() {
				e.Time = time.Now()
			}
			h.early = append(h.early, e)
		} else {
			h.drop()
		}
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	if p := activeAudit(); p != nil {
		p.Emit(e)
		return
	}
	h.drop()
}

func (h *auditHub) drop() {
	h.dropped.Add(1)
	auditHubDropped.Inc()
}

// start points the hub at p and replays the events that came before.
func (h *auditHub) start(p *pooledAudit) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.target.Store(p)
	for _, e := range h.early {
		p.Emit(e)
	}
	h.early = nil
}

// stop detaches the hub from its log.
func (h *auditHub) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.target.Store(nil)
	h.early = nil
}

// auditBackend is what the app needs from a running audit pipeline
// (*pipeline.Pipeline; tests substitute a double).
type auditBackend interface {
	secevent.Emitter
	Close(ctx context.Context) error
	Stats() pipeline.Stats
}
