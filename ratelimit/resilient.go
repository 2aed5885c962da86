package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// PrimaryStore is a shared store that can report whether it answers, such
// as RedisStore.
type PrimaryStore interface {
	Store
	// Ping returns nil when the store answers.
	Ping(ctx context.Context) error
}

// Source says what made a ResilientStore decision.
type Source uint8

// Sources of a decision. Every source but SourcePrimary is a fallback: the
// primary store failed or its circuit breaker is open.
const (
	// SourcePrimary: the primary (shared) store decided.
	SourcePrimary Source = iota
	// SourceLocal: zones with policy ErrorLocal were decided, and charged,
	// by the in-memory store; zones with ErrorAllow admitted uncounted.
	SourceLocal
	// SourceAllowed: every zone's policy is ErrorAllow; admitted uncounted.
	SourceAllowed
	// SourceDenied: a zone's policy is ErrorDeny; refused, nothing charged.
	SourceDenied
)

// String returns the source's name, for logs and metric labels.
func (s Source) String() string {
	switch s {
	case SourcePrimary:
		return "primary"
	case SourceLocal:
		return "local"
	case SourceAllowed:
		return "allowed"
	case SourceDenied:
		return "denied"
	}
	return fmt.Sprintf("source(%d)", uint8(s))
}

// ErrBreakerOpen is returned by a refund meant for the primary store while
// the circuit breaker is open: the primary is not tried.
var ErrBreakerOpen = errors.New("rate limit store unavailable: circuit breaker open")

// DefaultProbeInterval is how often an open breaker pings the primary.
const DefaultProbeInterval = 250 * time.Millisecond

// fallbackRetryAfter is the wait a zone with policy ErrorDeny reports while
// the primary is down: the breaker closes within a second of its return.
const fallbackRetryAfter = time.Second

// ResilientOptions configures a ResilientStore.
type ResilientOptions struct {
	// Policy returns a zone's policy for primary-store failures. Nil means
	// ErrorLocal for every zone.
	Policy func(zone string) ErrorPolicy
	// OnStateChange is called exactly once per breaker change: open with
	// the error that opened it, then closed with a nil error. It runs
	// synchronously under the breaker's lock, so it must be quick and must
	// not call the store's Take or Refund.
	OnStateChange func(open bool, err error)
	// ProbeInterval is how often the primary is pinged while the breaker
	// is open. Default: 250ms.
	ProbeInterval time.Duration
	// LocalDivisor divides each zone's limit in the local fallback (interval
	// times N, burst divided by N rounded up), so that N instances falling
	// back together admit about what the shared limit would. Set it to
	// the number of instances sharing the primary; 0 or 1 keeps the full
	// limit per instance.
	LocalDivisor int64
}

// ResilientStore decides with a primary (shared) store and, when that fails,
// with each zone's ErrorPolicy: the local memory store, admit, or refuse. It
// never returns an error from Take, so a store outage cannot turn into
// server errors.
//
// A circuit breaker opens on the first primary failure, or on the fifth
// timeout in a row; while it is open, decisions skip the primary entirely. A background prober (Start)
// pings the primary every ProbeInterval and closes the breaker on the first
// success. A failure that began before the breaker last closed does not
// reopen it.
type ResilientStore struct {
	primary PrimaryStore
	local   *MemoryStore
	opts    ResilientOptions

	// state counts breaker changes: even means closed, odd open.
	state atomic.Uint64
	// slow counts consecutive primary timeouts; any answer resets it.
	slow atomic.Int64
	mu   sync.Mutex // serializes changes and OnStateChange
	wake chan struct{}

	life      context.Context // canceled by Close
	stop      context.CancelFunc
	startOnce sync.Once
	done      chan struct{} // closed when the prober has exited
}

// NewResilientStore returns a store deciding with primary, falling back to
// local. Call Start to run the prober and Close to stop it.
func NewResilientStore(primary PrimaryStore, local *MemoryStore, opts ResilientOptions) *ResilientStore {
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = DefaultProbeInterval
	}
	if opts.LocalDivisor < 1 {
		opts.LocalDivisor = 1
	}
	s := &ResilientStore{
		primary: primary,
		local:   local,
		opts:    opts,
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	s.life, s.stop = context.WithCancel(context.Background())
	return s
}

// Start runs the prober that closes the breaker once the primary answers
// again. Without it an open breaker stays open. Calls after the first, or
// after Close, do nothing.
func (s *ResilientStore) Start() {
	s.startOnce.Do(func() { go s.probe() })
}

// Close stops the prober and waits for it to exit. It is safe to call more
// than once; the store keeps deciding afterwards, but an open breaker no
// longer closes.
func (s *ResilientStore) Close() {
	s.stop()
	s.startOnce.Do(func() { close(s.done) }) // never started: nothing to wait for
	<-s.done
	if c, ok := s.primary.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// Open reports whether the breaker is open: decisions are fallbacks.
func (s *ResilientStore) Open() bool { return s.state.Load()%2 == 1 }

// Take decides like TakeWithSource and never returns an error.
func (s *ResilientStore) Take(ctx context.Context, checks []Check, out []Outcome) (bool, error) {
	allowed, _ := s.TakeWithSource(ctx, checks, out)
	return allowed, nil
}

// TakeWithSource decides all checks together and says what decided. With
// the breaker closed it asks the primary; on a primary error it opens the
// breaker (unless ctx itself was canceled or expired) and falls back. A
// fallback charges nothing when it refuses.
func (s *ResilientStore) TakeWithSource(ctx context.Context, checks []Check, out []Outcome) (bool, Source) {
	if st := s.state.Load(); st%2 == 0 {
		allowed, err := s.primary.Take(ctx, checks, out)
		if err == nil {
			s.slow.Store(0)
			return allowed, SourcePrimary
		}
		if ctx.Err() == nil && !s.merelySlow(err) {
			s.change(st, err)
		}
	}
	return s.fallback(checks, out)
}

// slowCallsToOpen is how many primary timeouts in a row open the breaker.
// One timeout on a saturated machine is a slow answer, not an outage: that
// decision alone follows its zones' policies. Errors other than timeouts
// (refused or reset connections) open the breaker at once.
const slowCallsToOpen = 5

// merelySlow reports whether err is a timeout that does not (yet) show the
// primary to be down.
func (s *ResilientStore) merelySlow(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) && s.slow.Add(1) < slowCallsToOpen
}

// fallback decides checks by their zones' policies.
func (s *ResilientStore) fallback(checks []Check, out []Outcome) (bool, Source) {
	var localBuf [maxChecks]Check
	var idxBuf [maxChecks]int
	local, idx := localBuf[:0], idxBuf[:0]
	deny := false
	for i, c := range checks {
		switch s.policy(c.Zone) {
		case ErrorAllow:
			// What a fresh key reports after one request.
			out[i] = Outcome{Allowed: true, Remaining: max(c.Limit.Burst, 1) - 1, ResetAfter: c.Limit.Interval}
		case ErrorDeny:
			deny = true
			out[i] = Outcome{RetryAfter: fallbackRetryAfter, ResetAfter: fallbackRetryAfter}
		default:
			local = append(local, s.localCheck(c))
			idx = append(idx, i)
		}
	}
	allowed, source := !deny, SourceAllowed
	if len(local) > 0 {
		source = SourceLocal
		var outBuf [maxChecks]Outcome
		lout := append(outBuf[:0], make([]Outcome, len(local))...)
		ok, _ := s.local.Take(context.Background(), local, lout)
		for j, i := range idx {
			out[i] = lout[j]
		}
		if ok && deny {
			// All or nothing: another zone refuses.
			_ = s.local.Refund(context.Background(), local)
		}
		allowed = allowed && ok
	}
	if deny {
		source = SourceDenied
	}
	return allowed, source
}

// Refund gives back a request to the store that is in use now: the
// primary, or the local store while the breaker is open. Use RefundFrom
// with the decision's Source to be exact across breaker changes.
func (s *ResilientStore) Refund(ctx context.Context, checks []Check) error {
	if s.Open() {
		return s.RefundFrom(ctx, checks, SourceLocal)
	}
	return s.RefundFrom(ctx, checks, SourcePrimary)
}

// RefundFrom gives back a request to the store that charged it, given the
// Source of its decision: the primary (not tried, ErrBreakerOpen, while the
// breaker is open), the local store for zones with policy ErrorLocal, or
// nothing for SourceAllowed and SourceDenied, which charged nothing.
func (s *ResilientStore) RefundFrom(ctx context.Context, checks []Check, src Source) error {
	switch src {
	case SourcePrimary:
		st := s.state.Load()
		if st%2 == 1 {
			return ErrBreakerOpen
		}
		if err := s.primary.Refund(ctx, checks); err != nil {
			if ctx.Err() == nil {
				s.change(st, err)
			}
			return err
		}
		return nil
	case SourceLocal:
		var buf [maxChecks]Check
		local := buf[:0]
		for _, c := range checks {
			if s.policy(c.Zone) == ErrorLocal {
				local = append(local, s.localCheck(c))
			}
		}
		return s.local.Refund(ctx, local)
	}
	return nil
}

// policy returns zone's error policy.
func (s *ResilientStore) policy(zone string) ErrorPolicy {
	if s.opts.Policy == nil {
		return ErrorLocal
	}
	return s.opts.Policy(zone)
}

// localCheck is c with its limit divided by LocalDivisor.
func (s *ResilientStore) localCheck(c Check) Check {
	if n := s.opts.LocalDivisor; n > 1 {
		c.Limit.Interval *= time.Duration(n)
		c.Limit.Burst = max((c.Limit.Burst+n-1)/n, 1)
	}
	return c
}

// change moves the breaker from state seen to the next state (closed to
// open with err, open to closed with nil) and reports it, unless another
// change came first.
func (s *ResilientStore) change(seen uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.state.CompareAndSwap(seen, seen+1) {
		return
	}
	open := seen%2 == 0
	if s.opts.OnStateChange != nil {
		if !open {
			err = nil
		}
		s.opts.OnStateChange(open, err)
	}
	if open {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// probe waits for the breaker to open, then pings the primary every
// ProbeInterval until a ping succeeds, and again, until Close.
func (s *ResilientStore) probe() {
	defer close(s.done)
	tick := time.NewTimer(s.opts.ProbeInterval)
	defer tick.Stop()
	for {
		st := s.state.Load()
		if st%2 == 0 {
			select {
			case <-s.life.Done():
				return
			case <-s.wake:
			}
			continue
		}
		tick.Reset(s.opts.ProbeInterval)
		select {
		case <-s.life.Done():
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(s.life, s.opts.ProbeInterval)
		err := s.primary.Ping(ctx)
		cancel()
		if err == nil && s.life.Err() == nil {
			s.change(st, nil)
		}
	}
}
