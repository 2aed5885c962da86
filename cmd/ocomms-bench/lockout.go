package main

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/authguard/lockout"
)

// lockoutResult is the sign-in decision of the lockout engine on the
// run's Redis: round trips (scripts) per sign-in and its latency.
type lockoutResult struct {
	signIns    int
	roundTrips float64
	p50, p99   time.Duration
	err        string
}

// measureLockout runs n failing sign-ins (Begin, then Settle), each from
// a new address on one of 64 accounts, through the lockout engine on a
// Redis lock store, one at a time, in this process.
func measureLockout(ctx context.Context, redisURL string, n int) lockoutResult {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return lockoutResult{err: err.Error()}
	}
	opts.ContextTimeoutEnabled = true
	c := redis.NewClient(opts)
	defer c.Close()
	store := lockout.NewRedisLockStore(c, lockout.RedisLockStoreOptions{Prefix: "bench:lk:", Timeout: time.Second})
	l, err := lockout.NewLockout(lockout.LockoutOptions{Secret: []byte("bench-secret-not-for-production"), Store: store})
	if err != nil {
		return lockoutResult{err: err.Error()}
	}
	lat := make([]time.Duration, 0, n)
	before := store.Scripts()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		a := lockout.SignInAttempt{Email: fmt.Sprintf("lockout%d@bench.test", i%64), IP: netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)})}
		start := time.Now()
		adm, err := l.Begin(ctx, a)
		if err != nil {
			return lockoutResult{err: err.Error()}
		}
		if adm.Admit {
			// Not counted: the accounts never lock, every sign-in is a
			// full decision on both records.
			if _, err := l.Settle(ctx, a, adm, lockout.OutcomeNotCounted); err != nil {
				return lockoutResult{err: err.Error()}
			}
		}
		lat = append(lat, time.Since(start))
	}
	if len(lat) == 0 {
		return lockoutResult{err: "no sign-in measured"}
	}
	slices.Sort(lat)
	return lockoutResult{
		signIns:    len(lat),
		roundTrips: float64(store.Scripts()-before) / float64(len(lat)),
		p50:        lat[len(lat)/2],
		p99:        lat[len(lat)*99/100],
	}
}

// goal is one ratio the run reports against a target.
type goal struct {
	what     string
	num, den string // configuration names
	target   float64
}

// goals are the throughput ratios of issue 15, on the api scenario.
var goals = []goal{
	{"full edge, memory ÷ stock", "edge", "stock", 0.95},
	{"full edge, memory ÷ stock with the same header block", "edge", "stock+header", 0.98},
	{"full edge, Redis ÷ stock", "edge+redis+pg", "stock", 0.85},
	{"full edge, Redis ÷ full edge, memory", "edge+redis+pg", "edge", 0.95},
	{"rate limit only, memory ÷ mholt/caddy-ratelimit", "ratelimit", "mholt-ratelimit", 1.0},
	// Not a goal: the price of the header set alone, which bounds the
	// first row (the edge sends the same headers as stock+header).
	{"reference: stock with the same header block ÷ stock", "stock+header", "stock", 0},
}

// targetText is the goal column: the target, or "reference" for a row
// that is not a goal.
func (g goal) targetText() string {
	if g.target == 0 {
		return "reference"
	}
	return fmt.Sprintf("≥ %.2f", g.target)
}

// goalsTable renders the goals with their per-round ratios.
func (r *report) goalsTable(b *strings.Builder) {
	idx := func(name string) int {
		return slices.IndexFunc(r.cfgs, func(c config) bool { return c.name == name })
	}
	b.WriteString("\n### Goals (issue 15), `GET /api/health` from a fresh client address per request\n\n")
	b.WriteString("Ratios per round, median (min–max) over the rounds, both configurations measured in the same round.\n\n")
	b.WriteString("The CPU ratio is the same quotient of CPU time per request of the configurations' own processes (Caddy, plus redis-server for the Redis configuration; the shared upstream and the load generator are left out, which makes it stricter than a throughput ratio on a quiet machine). It does not depend on what else the machine runs, as throughput does.\n\n")
	b.WriteString("| ratio | throughput, median (min–max) | CPU per request, whole run | goal | met (throughput) |\n|---|---:|---:|---:|---|\n")
	for _, g := range goals {
		n, d := idx(g.num), idx(g.den)
		if n < 0 || d < 0 {
			missing := g.num
			if n >= 0 {
				missing = g.den
			}
			fmt.Fprintf(b, "| %s | not measured: no `%s` configuration in this run | | %s | |\n", g.what, missing, g.targetText())
			continue
		}
		med, lo, hi := r.ratioBetween("api", n, d)
		met := "yes"
		switch {
		case g.target == 0:
			met = ""
		case med < g.target:
			met = fmt.Sprintf("no (%.0f%% short)", (g.target-med)/g.target*100)
		}
		cpu := ""
		tn, td := r.total["api"][n], r.total["api"][d]
		if tn.ops > 0 && td.ops > 0 && tn.cpu > 0 {
			pn, pd := tn.cpu/time.Duration(tn.ops), td.cpu/time.Duration(td.ops)
			cpu = fmt.Sprintf("%.3f (%d ÷ %d µs)", float64(pd)/float64(pn), pd.Microseconds(), pn.Microseconds())
		}
		fmt.Fprintf(b, "| %s | %.3f (%.3f–%.3f) | %s | %s | %s |\n", g.what, med, lo, hi, cpu, g.targetText(), met)
	}
	lk := r.lockout
	switch {
	case lk.err != "":
		fmt.Fprintf(b, "| sign-in decision, Redis lockout store | error: %s | | ≤ 2 round trips, p99 ≤ 0.5 ms | |\n", lk.err)
	case lk.signIns == 0:
		b.WriteString("| sign-in decision, Redis lockout store | not measured (no redis-server) | | ≤ 2 round trips, p99 ≤ 0.5 ms | |\n")
	default:
		met := "yes"
		if lk.roundTrips > 2 || lk.p99 > 500*time.Microsecond {
			met = "no"
		}
		fmt.Fprintf(b, "| sign-in decision (Begin + Settle), Redis lockout store, %d sign-ins | %.2f round trips, p50 %s ms, p99 %s ms | | ≤ 2 round trips, p99 ≤ 0.5 ms | %s |\n",
			lk.signIns, lk.roundTrips, ms(lk.p50), ms(lk.p99), met)
	}
}

// ratioBetween returns the median, minimum and maximum over rounds of
// configuration num's rate divided by den's in the same round.
func (r *report) ratioBetween(sc string, num, den int) (med, lo, hi float64) {
	var rs []float64
	for i, res := range r.rounds[sc][num] {
		if i < len(r.rounds[sc][den]) {
			if base := r.rounds[sc][den][i].rate(); base > 0 {
				rs = append(rs, res.rate()/base)
			}
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	slices.Sort(rs)
	return rs[len(rs)/2], rs[0], rs[len(rs)-1]
}
