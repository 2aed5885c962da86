package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// result is what one measurement of one configuration produced.
type result struct {
	ops      int           // completed operations (requests, or polling cycles)
	errs     int           // transport errors and unexpected statuses
	dur      time.Duration // wall time of the measurement
	lat      []time.Duration
	statuses map[int]int
	codes    map[string]int // "status CODE" of JSON error bodies (login flood)
	firstErr string
	// cpu is the CPU time the configuration's processes (Caddy, and
	// redis-server where used) spent during the measurement.
	cpu time.Duration
}

// merge adds another measurement's figures.
func (r *result) merge(o result) {
	r.ops += o.ops
	r.cpu += o.cpu
	r.errs += o.errs
	r.dur += o.dur
	r.lat = append(r.lat, o.lat...)
	if r.statuses == nil {
		r.statuses = map[int]int{}
	}
	for k, v := range o.statuses {
		r.statuses[k] += v
	}
	if r.firstErr == "" {
		r.firstErr = o.firstErr
	}
}

// record adds one operation: its status, error and latency. An error or a
// status other than want counts as a failure; the first one is kept.
func (r *result) record(st int, err error, lat time.Duration, want int) {
	r.lat = append(r.lat, lat)
	r.ops++
	r.statuses[st]++
	if err != nil || st != want {
		r.errs++
		if r.firstErr == "" {
			r.firstErr = fmt.Sprintf("status %d: %v", st, err)
		}
	}
}

// rate is operations per second.
func (r result) rate() float64 {
	if r.dur <= 0 {
		return 0
	}
	return float64(r.ops) / r.dur.Seconds()
}

// percentile returns the p-th percentile latency (0 < p ≤ 100).
func (r result) percentile(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), r.lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// op performs one unit of work and returns the status of its last
// response. A worker's op may keep state (a Socket.IO session).
type op func(ctx context.Context) (int, error)

// scenario is a workload, measured closed-loop and paced.
type scenario struct {
	name, title string
	want        int // the expected status
	// newOp makes worker w's operation against base.
	newOp func(c doer, base string, w int) (op, error)
}

// doer sends one request and returns the answer's status and body.
type doer interface {
	do(ctx context.Context, method, url string, body []byte, hdr ...string) (int, []byte, error)
}

// netHTTPDoer is net/http's client (the -client nethttp generator).
type netHTTPDoer struct{ c *http.Client }

func (d netHTTPDoer) do(ctx context.Context, method, url string, body []byte, hdr ...string) (int, []byte, error) {
	return do(ctx, d.c, method, url, body, hdr...)
}

// generator hands each worker its client: one raw connection of its own,
// or the shared net/http client.
type generator struct {
	raw    bool
	shared *http.Client
}

// worker returns worker w's client and a function that releases it.
func (g generator) worker() (doer, func()) {
	if g.raw {
		c := &rawConn{}
		return c, c.close
	}
	return netHTTPDoer{g.shared}, func() {}
}

// do sends one request with net/http and drains the answer.
func do(ctx context.Context, c *http.Client, method, url string, body []byte, hdr ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// clientIP is a client address for worker w's i-th request, from
// 10.0.0.0/8: each address is used rarely enough that no per-address
// budget runs out.
func clientIP(w, i int) string {
	return fmt.Sprintf("10.%d.%d.%d", w%256, (i/250)%256, i%250+1)
}

// scenarios are the throughput workloads, measured in rounds.
var scenarios = []scenario{
	{
		name: "page", title: "GET / (dynamic page, 200 text/html)", want: http.StatusOK,
		newOp: func(c doer, base string, w int) (op, error) {
			return func(ctx context.Context) (int, error) {
				st, _, err := c.do(ctx, http.MethodGet, base+"/", nil, "Accept", "text/html", "X-Forwarded-For", clientIP(w, 0))
				return st, err
			}, nil
		},
	},
	{
		name: "api", title: "GET /api/health (rate-limited api-ip zone; rotating client addresses)", want: http.StatusOK,
		newOp: func(c doer, base string, w int) (op, error) {
			i := 0
			return func(ctx context.Context) (int, error) {
				i++
				st, _, err := c.do(ctx, http.MethodGet, base+"/api/health", nil, "X-Forwarded-For", clientIP(w, i))
				return st, err
			}, nil
		},
	},
	{
		name: "socketio", title: "Socket.IO long-polling: one cycle = POST \"40\" + GET poll that returns it", want: http.StatusOK,
		newOp: socketIOOp,
	},
}

// codePattern finds the code of a JSON error body (better-auth's and the edge's).
var codePattern = regexp.MustCompile(`"code"\s*:\s*"([A-Z_]+)"`)

// sidPattern finds the engine.io session id in the open packet.
var sidPattern = regexp.MustCompile(`"sid":"([^"]+)"`)

// socketIOOp opens an engine.io v4 polling session; each operation sends
// a namespace connect ("40") and polls for the server's answer, as a
// Socket.IO client on long-polling does.
func socketIOOp(c doer, base string, w int) (op, error) {
	ip := clientIP(w, 7)
	st, body, err := c.do(context.Background(), http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", nil, "X-Forwarded-For", ip)
	if err != nil || st != http.StatusOK {
		return nil, fmt.Errorf("engine.io handshake: status %d: %v %.80s", st, err, body)
	}
	m := sidPattern.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("engine.io handshake: no sid in %.80q", body)
	}
	url := base + "/socket.io/?EIO=4&transport=polling&sid=" + string(m[1])
	return func(ctx context.Context) (int, error) {
		st, body, err := c.do(ctx, http.MethodPost, url, []byte("40"), "Content-Type", "text/plain;charset=UTF-8", "X-Forwarded-For", ip)
		if err != nil || st != http.StatusOK {
			return st, err
		}
		st, body, err = c.do(ctx, http.MethodGet, url, nil, "X-Forwarded-For", ip)
		if err == nil && st == http.StatusOK && !strings.HasPrefix(string(body), "40{") {
			return st, fmt.Errorf("poll answered %.60q, want the 40 packet", body)
		}
		return st, err
	}, nil
}

// newOps makes the operations of n workers, each on its own client;
// release frees the clients.
func newOps(g generator, base string, sc scenario, n int) ([]op, func(), error) {
	ops := make([]op, n)
	var releases []func()
	release := func() {
		for _, r := range releases {
			r()
		}
	}
	for w := range ops {
		c, rel := g.worker()
		releases = append(releases, rel)
		o, err := sc.newOp(c, base, w)
		if err != nil {
			return nil, release, err
		}
		ops[w] = o
	}
	return ops, release, nil
}

// measure runs sc with n workers for d against base.
func measure(ctx context.Context, g generator, base string, sc scenario, n int, d time.Duration) result {
	res := result{statuses: map[int]int{}}
	ops, release, err := newOps(g, base, sc, n)
	defer release()
	if err != nil {
		res.errs, res.firstErr = 1, err.Error()
		return res
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(o op) {
			defer wg.Done()
			var local result
			local.statuses = map[int]int{}
			for time.Now().Before(deadline) {
				t0 := time.Now()
				st, err := o(ctx)
				local.record(st, err, time.Since(t0), sc.want)
				if errors.Is(err, context.DeadlineExceeded) {
					break
				}
			}
			mu.Lock()
			res.merge(local)
			mu.Unlock()
		}(ops[w])
	}
	wg.Wait()
	res.dur = time.Since(start)
	return res
}

// flood sends failing sign-ins: attempts per email for emails addresses
// (each from its own client address), from n workers, and counts how
// many reached the app (401) and how many the edge refused.
func flood(ctx context.Context, g generator, base, tag string, emails, attempts, n int) result {
	type job struct{ email, ip string }
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		for a := 0; a < attempts; a++ {
			for e := 0; e < emails; e++ {
				jobs <- job{fmt.Sprintf("flood-%s-%d@bench.example", tag, e), fmt.Sprintf("10.250.%d.%d", e/250, e%250+1)}
			}
		}
	}()
	res := result{statuses: map[int]int{}, codes: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, release := g.worker()
			defer release()
			for j := range jobs {
				body := []byte(`{"email":"` + j.email + `","password":"wrong-password-123"}`)
				t0 := time.Now()
				st, answer, err := c.do(ctx, http.MethodPost, base+"/api/auth/sign-in/email", body, "Content-Type", "application/json", "X-Forwarded-For", j.ip)
				d := time.Since(t0)
				code := ""
				if m := codePattern.FindSubmatch(answer); m != nil {
					code = string(m[1])
				}
				mu.Lock()
				res.codes[fmt.Sprintf("%d %s", st, code)]++
				res.ops++
				res.lat = append(res.lat, d)
				res.statuses[st]++
				if err != nil {
					res.errs++
					if res.firstErr == "" {
						res.firstErr = err.Error()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.dur = time.Since(start)
	return res
}
