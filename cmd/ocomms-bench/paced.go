package main

import (
	"context"
	"sync"
	"time"
)

// pacedFractions are the shares of the slowest configuration's
// closed-loop rate that the paced phases offer to every configuration:
// loads each one sustains, so latency measures the work per request
// rather than the queue in front of a saturated server. At a tenth the
// machine is mostly idle (what a request costs when nothing waits for a
// core); at half, the load generator, the servers and the upstream keep
// the shared cores busy much of the time.
var pacedFractions = []float64{0.1, 0.5}

// paced runs sc open-loop at rate operations per second for d with n
// workers. Worker w's k-th operation is due at start + (k·n + w)/rate,
// and its latency counts from when it was due, not from when it was
// sent: a server that falls behind is charged for the wait (no
// coordinated omission).
func paced(ctx context.Context, g generator, base string, sc scenario, n int, rate float64, d time.Duration) result {
	res := result{statuses: map[int]int{}}
	if rate <= 0 {
		res.errs, res.firstErr = 1, "no rate to pace at"
		return res
	}
	ops, release, err := newOps(g, base, sc, n)
	defer release()
	if err != nil {
		res.errs, res.firstErr = 1, err.Error()
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	start := time.Now().Add(10 * time.Millisecond)
	end := start.Add(d)
	interval := time.Duration(float64(time.Second) / rate)
	for w, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := result{statuses: map[int]int{}}
			for k := 0; ; k++ {
				due := start.Add(time.Duration(k*n+w) * interval)
				if !due.Before(end) || ctx.Err() != nil {
					break
				}
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
				}
				st, err := o(ctx)
				local.record(st, err, time.Since(due), sc.want)
			}
			mu.Lock()
			res.merge(local)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.dur = time.Since(start)
	return res
}
