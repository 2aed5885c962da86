package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ocomms/ocomms-edge/reqbody"
)

// DefaultMaxBody is how much of a request body a body-keyed zone reads.
const DefaultMaxBody = reqbody.DefaultMaxBody

// Config configures a Limiter.
type Config struct {
	// Zones are the limits, decided together for each request.
	Zones []Zone
	// ClientIP returns the trusted client address to key on. Required: the
	// package never works an address out itself; the Caddy adapter passes
	// Caddy's client_ip.
	ClientIP func(*http.Request) string
	// Hasher hashes key material. Default: a Hasher with an empty secret.
	Hasher *Hasher
	// MaxBody bounds how much body a body-keyed zone reads; a larger body
	// is refused (413). Default: 64 KiB.
	MaxBody int64
	// BodyDeadline bounds the time to receive a body a zone keys on; a
	// slower client gets 408. Default: 10 s.
	BodyDeadline time.Duration
	// AdmittedHeaders adds RateLimit and RateLimit-Policy to admitted
	// responses too, not only to 429s.
	AdmittedHeaders bool
}

// Limiter decides requests against its zones and a Store.
type Limiter struct {
	cfg   Config
	zones []Zone
	store Store
}

// New validates cfg and returns a Limiter over store.
func New(cfg Config, store Store) (*Limiter, error) {
	if len(cfg.Zones) > maxChecks {
		return nil, fmt.Errorf("%d zones: at most %d zones per handler", len(cfg.Zones), maxChecks)
	}
	seen := map[string]bool{}
	zones := make([]Zone, len(cfg.Zones))
	for i, z := range cfg.Zones {
		if err := z.validate(); err != nil {
			return nil, err
		}
		if seen[z.Name] {
			return nil, fmt.Errorf("zone %s is defined twice: zone names must be unique", z.Name)
		}
		seen[z.Name] = true
		zones[i] = z
	}
	if cfg.ClientIP == nil {
		return nil, errors.New("no ClientIP: pass the trusted client address (Caddy's client_ip)")
	}
	if cfg.Hasher == nil {
		cfg.Hasher = NewHasher(nil)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	return &Limiter{cfg: cfg, zones: zones, store: store}, nil
}

// Zones returns the limiter's zones with defaults filled in.
func (l *Limiter) Zones() []Zone { return l.zones }

// Decision is the limiter's answer for one request.
type Decision struct {
	// Allowed reports whether every matching zone admitted the request.
	Allowed bool
	// Zones are the matching zones, Outcomes their answers.
	Zones    []*Zone
	Outcomes []Outcome
	// StoreErr is set when the store failed; the decision then follows
	// the store's error policy (see ResilientStore).
	StoreErr error
	// Source says which store decided (see ResilientStore); SourcePrimary
	// for stores without a fallback.
	Source Source
	// Refusal is set (and Allowed false) when a body-keyed zone matched a
	// request whose body the edge cannot read one way or that lacks the
	// key field: answer with Refusal.Write; nothing was charged.
	Refusal *reqbody.Refusal
	checks  []Check

	// Room for the usual number of matching zones, so that a decision
	// costs no allocation beyond the Decision (none when Released).
	zonesBuf    [inlineZones]*Zone
	checksBuf   [inlineZones]Check
	outcomesBuf [inlineZones]Outcome
}

// inlineZones is how many matching zones a Decision holds without
// allocating: a sign-in matches three (IP, email, /api).
const inlineZones = 4

var decisionPool = sync.Pool{New: func() any { return new(Decision) }}

// Release returns the decision to a pool for reuse. Call it once the
// decision, its Zones and Outcomes are no longer used; optional.
func (d *Decision) Release() {
	*d = Decision{}
	decisionPool.Put(d)
}

// sourcedStore is a store that falls back on failure and tells which store
// decided, so a refund goes to the store that charged.
type sourcedStore interface {
	TakeWithSource(ctx context.Context, checks []Check, out []Outcome) (bool, Source)
	RefundFrom(ctx context.Context, checks []Check, src Source) error
}

// RetryAfter is how long the client must wait: the longest wait among the
// zones that refused.
func (d *Decision) RetryAfter() time.Duration {
	var max time.Duration
	for _, o := range d.Outcomes {
		if !o.Allowed && o.RetryAfter > max {
			max = o.RetryAfter
		}
	}
	return max
}

// Decide finds the zones matching r, builds their keys and asks the store
// once for all of them. A request no zone matches is allowed with no
// store call. Reading a body-keyed field leaves r.Body byte-identical; w,
// when not nil, bounds that read with Config.BodyDeadline.
func (l *Limiter) Decide(w http.ResponseWriter, r *http.Request) (*Decision, error) {
	d := decisionPool.Get().(*Decision)
	d.Allowed = true
	d.Zones, d.checks = d.zonesBuf[:0], d.checksBuf[:0]
	var body *bodyFields
	clientIP := ""
	for i := range l.zones {
		z := &l.zones[i]
		if z.Match != nil {
			ok, err := z.Match(r)
			if err != nil {
				return nil, fmt.Errorf("matching zone %s: %w", z.Name, err)
			}
			if !ok {
				continue
			}
		}
		if clientIP == "" {
			clientIP = l.cfg.ClientIP(r)
		}
		if body == nil && z.needsBody() {
			body = &bodyFields{w: w, max: l.cfg.MaxBody, deadline: l.cfg.BodyDeadline}
		}
		key, ok, refusal := z.key(l.cfg.Hasher, r, clientIP, body)
		if refusal != nil {
			d.Allowed, d.Refusal = false, refusal
			d.Zones, d.checks = d.Zones[:0], d.checks[:0]
			return d, nil
		}
		if !ok {
			continue
		}
		d.Zones = append(d.Zones, z)
		d.checks = append(d.checks, Check{Zone: z.Name, Key: key, Limit: z.limit(), Lease: z.Lease})
	}
	if len(d.checks) == 0 {
		return d, nil
	}
	if len(d.checks) <= inlineZones {
		d.Outcomes = d.outcomesBuf[:len(d.checks)]
	} else {
		d.Outcomes = make([]Outcome, len(d.checks))
	}
	if ss, ok := l.store.(sourcedStore); ok {
		d.Allowed, d.Source = ss.TakeWithSource(r.Context(), d.checks, d.Outcomes)
	} else {
		d.Allowed, d.StoreErr = l.store.Take(r.Context(), d.checks, d.Outcomes)
	}
	if !d.Allowed {
		// Nothing was charged: the zones that would have admitted the
		// request keep the budget they had.
		for i := range d.Outcomes {
			if o := &d.Outcomes[i]; o.Allowed {
				o.Remaining++
				o.ResetAfter -= d.checks[i].Limit.Interval
				if o.ResetAfter < 0 {
					o.ResetAfter = 0
				}
			}
		}
	}
	return d, nil
}

// Finish refunds the zones that do not count a response with status, so
// that, say, a successful sign-in does not use up the failure budget. Call
// it once the response status is known, for admitted requests.
func (l *Limiter) Finish(ctx context.Context, d *Decision, status int) error {
	if !d.Allowed || len(d.checks) == 0 {
		return nil
	}
	var refunds []Check
	for i, z := range d.Zones {
		if !z.counts(status) {
			refunds = append(refunds, d.checks[i])
		}
	}
	if len(refunds) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	var err error
	if ss, ok := l.store.(sourcedStore); ok {
		err = ss.RefundFrom(ctx, refunds, d.Source)
	} else {
		err = l.store.Refund(ctx, refunds)
	}
	if err != nil {
		return fmt.Errorf("refunding %d zone(s): %w", len(refunds), err)
	}
	return nil
}

// AdmittedHeaders reports whether admitted responses get RateLimit headers.
func (l *Limiter) AdmittedHeaders() bool { return l.cfg.AdmittedHeaders }

// NeedsStatus reports whether the decision must learn the response status
// (some matching zone counts only certain statuses) before it is final.
func (d *Decision) NeedsStatus() bool {
	if !d.Allowed {
		return false
	}
	for _, z := range d.Zones {
		if len(z.CountStatus) > 0 {
			return true
		}
	}
	return false
}
