package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// redisEdgeGlobals is the global options of an edge process sharing one
// Redis (OCOMMS_REDIS_URL) with others.
const redisEdgeGlobals = `{
	admin off
	auto_https off
	persist_config off
	ocomms {
		redis {env.OCOMMS_REDIS_URL}
		secret {env.OCOMMS_SECRET}
	}
}
`

// clusterCaddyfile is one edge instance of several sharing one Redis. The
// sign-in zone refuses when Redis cannot decide (deny): it must never admit
// more than its limit. {TIMEOUT} may raise the decision timeout.
const clusterCaddyfile = redisEdgeGlobals + `http://127.0.0.1:{PORT} {
	ocomms_headers
	ocomms_rate_limit none {
		{TIMEOUT}
		zone signin {
			match {
				method POST
				path /api/auth/sign-in/email
			}
			rate 5/15m
			key client_ip
			on_store_error deny
		}
		zone api {
			match {
				path /api/health
			}
			rate 1000000/1s
			key client_ip
		}
		zone api-user {
			match {
				path /api/health
			}
			rate 1000000/1s
			key header X-User
		}
	}
	reverse_proxy {UPSTREAM}
}
`

// clusterUpstream starts the demo app for a cluster test and returns its
// host:port, for a Caddyfile's {UPSTREAM}.
func clusterUpstream(t *testing.T) string {
	t.Helper()
	up := httptest.NewServer(demoupstream.New(demoupstream.Options{}))
	t.Cleanup(up.Close)
	return strings.TrimPrefix(up.URL, "http://")
}

// startEdges starts n edge processes on cfg sharing the Redis at
// redisURL, with secret as OCOMMS_SECRET.
func startEdges(t *testing.T, n int, cfg, redisURL, secret string) []*edgeProcess {
	t.Helper()
	var edges []*edgeProcess
	for i := 0; i < n; i++ {
		edges = append(edges, startEdgeProcess(t, cfg, "OCOMMS_REDIS_URL="+redisURL, "OCOMMS_SECRET="+secret))
	}
	return edges
}

// startCluster skips in -short mode, starts a redis-server of the test's
// own and n edge processes on clusterCaddyfile sharing it; timeout is a
// Caddyfile timeout line for ocomms_rate_limit, or "" for the default. It
// returns the server, the edges and a client of the server.
func startCluster(t *testing.T, n int, timeout string) (*testsupport.RedisServer, []*edgeProcess, *redis.Client) {
	t.Helper()
	skipInShort(t, "starts edge processes and redis-server")
	srv := testsupport.StartRedis(t)
	cfg := strings.NewReplacer("{UPSTREAM}", clusterUpstream(t), "{TIMEOUT}", timeout).Replace(clusterCaddyfile)
	edges := startEdges(t, n, cfg, srv.URL(), "cluster-test-secret")
	return srv, edges, redisClient(t, srv)
}

// redisClient returns a client of srv, closed when the test ends.
func redisClient(t *testing.T, srv *testsupport.RedisServer) *redis.Client {
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { rc.Close() })
	return rc
}

// scriptStats reads how many scripts Redis ran to completion (EVALSHA and
// EVAL calls that did not fail) and how many EVALSHA calls failed, which is
// go-redis's NOSCRIPT probe before it loads the script with EVAL.
func scriptStats(t *testing.T, rc *redis.Client) (ran, noscript int64) {
	t.Helper()
	info, err := rc.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	field := func(stats, name string) int64 {
		for _, kv := range strings.Split(stats, ",") {
			if v, ok := strings.CutPrefix(kv, name+"="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		return 0
	}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		for _, cmd := range []string{"cmdstat_evalsha:", "cmdstat_eval:"} {
			if stats, ok := strings.CutPrefix(line, cmd); ok {
				failed := field(stats, "failed_calls")
				ran += field(stats, "calls") - failed
				if cmd == "cmdstat_evalsha:" {
					noscript += failed
				}
			}
		}
	}
	return ran, noscript
}

// scriptCalls returns how many scripts Redis ran to completion.
func scriptCalls(t *testing.T, rc *redis.Client) int64 {
	ran, _ := scriptStats(t, rc)
	return ran
}

func TestThreeInstancesShareOneExactLimit(t *testing.T) {
	// 1,000 simultaneous requests saturate this 2-core machine (three
	// edges, Redis, the upstream and the client share it): decisions wait
	// for CPU longer than the 50ms default, and how long depends on what
	// else the machine runs. This test is about exactness across
	// instances, not speed, so it gives Redis all the time a decision can
	// need (no deadline can fall back under load); the fallback on timeouts
	// is proven by the outage test and the ratelimit package.
	_, edges, rc := startCluster(t, 3, "timeout 30s")
	before := scriptCalls(t, rc)

	const attempts = 1000
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: 120 * time.Second}
	var admitted, refused, other atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < attempts; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := fmt.Sprintf(`{"email":"user%d@ocomms.test","password":"wrong"}`, i)
			resp, err := client.Post(edges[i%3].URL("/api/auth/sign-in/email"), "application/json", strings.NewReader(body))
			if err != nil {
				other.Add(1)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusTooManyRequests:
				refused.Add(1)
			case http.StatusUnauthorized:
				admitted.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if admitted.Load() != 5 || refused.Load() != attempts-5 || other.Load() != 0 {
		for _, e := range edges {
			t.Logf("edge %d: %d store fallbacks logged", e.Port, countLines(e.log, "rate limit store unreachable"))
			for _, line := range strings.Split(tail(e.log, 1<<20), "\n") {
				if strings.Contains(line, "rate limit store") {
					t.Log(line)
				}
			}
		}
		t.Fatalf("1000 concurrent sign-ins over 3 instances on 5/15m: %d reached the app, %d refused, %d other; want exactly 5 / 995 / 0",
			admitted.Load(), refused.Load(), other.Load())
	}
	if calls := scriptCalls(t, rc) - before; calls != attempts {
		t.Fatalf("Redis ran %d scripts for %d requests, want one decision each", calls, attempts)
	}
	t.Logf("3 instances, 1000 concurrent sign-ins: %d admitted, %d refused, every one decided by one script in the shared Redis",
		admitted.Load(), refused.Load())
}

func TestOneRedisRoundTripPerRequest(t *testing.T) {
	_, edges, rc := startCluster(t, 1, "")
	before := scriptCalls(t, rc)
	const requests = 300
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < requests/4; i++ {
				req, _ := http.NewRequest(http.MethodGet, edges[0].URL("/api/health"), nil)
				req.Header.Set("X-User", fmt.Sprintf("user-%d", i%7))
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 {
					bad.Add(1)
				}
				if err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d requests failed", bad.Load())
	}
	// Each request matches two zones (client IP and X-User): one script
	// decides both.
	ran, noscript := scriptStats(t, rc)
	if ran-before != requests {
		t.Fatalf("Redis ran %d scripts for %d requests matching two zones each, want exactly %d", ran-before, requests, requests)
	}
	// go-redis sends EVALSHA first; on a Redis that has not seen the script
	// yet it answers NOSCRIPT once per connection racing for it, and the
	// script is sent with EVAL. Every later request is one round trip.
	if noscript > 4 {
		t.Fatalf("%d NOSCRIPT round trips, want at most one per concurrent first request (4)", noscript)
	}
	t.Logf("%d requests, %d scripts run, %d extra NOSCRIPT round trips while the script was first loaded", requests, ran-before, noscript)
}

func TestRedisOutageMidLoadGivesNo5xxAndSharingResumes(t *testing.T) {
	srv, edges, rc := startCluster(t, 2, "")

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50}, Timeout: 10 * time.Second}
	var ok, fiveXX, errs atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(edges[i%2].URL("/api/health"))
				if err != nil {
					errs.Add(1)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					fiveXX.Add(1)
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	waitUntil(t, 5*time.Second, "load reaching Redis", func() bool { return scriptCalls(t, rc) > 50 })
	srv.Stop()
	outageStart := ok.Load()
	time.Sleep(1500 * time.Millisecond)
	duringOutage := ok.Load() - outageStart
	srv.Start()
	rc2 := redisClient(t, srv)
	restarted := time.Now()
	waitUntil(t, 2*time.Second, "limiter decisions reaching the restarted Redis", func() bool { return scriptCalls(t, rc2) > 10 })
	resumedAfter := time.Since(restarted)
	close(stop)
	wg.Wait()
	if fiveXX.Load() != 0 || errs.Load() != 0 {
		t.Fatalf("Redis outage caused %d 5xx and %d transport errors (of %d ok)", fiveXX.Load(), errs.Load(), ok.Load())
	}
	if duringOutage == 0 {
		t.Fatal("no request was served while Redis was down")
	}
	t.Logf("%d requests ok, %d of them during the 1.5 s outage; shared limiting resumed %v after Redis restarted; 0 5xx",
		ok.Load(), duringOutage, resumedAfter.Round(time.Millisecond))
}

// approxCaddyfile is one of three edge instances with an exact and an
// approximate zone of 100 per day (nothing comes back during the test),
// keyed on a header so each key is one client.
const approxCaddyfile = redisEdgeGlobals + `http://127.0.0.1:{PORT} {
	ocomms_rate_limit none {
		timeout 2s
		instances 3
		zone exact {
			match {
				path /api/exact
			}
			rate 100/24h
			key header X-User
		}
		zone approx {
			match {
				path /api/approx
			}
			rate 100/24h
			key header X-User
			mode approximate
			lease 5
		}
	}
	reverse_proxy {UPSTREAM}
}
`

// TestThreeInstancesApproximateOvershoot sends 1,000 concurrent requests
// per key (ten times the limit of 100) through three edge processes on
// one Redis: the exact zone admits exactly 100 per key; the approximate
// zone (lease 5) at least 100 and at most 100 + 3 × 5, the bound the
// adapter states, with far fewer scripts than requests.
func TestThreeInstancesApproximateOvershoot(t *testing.T) {
	skipInShort(t, "starts edge processes and redis-server")
	srv := testsupport.StartRedis(t)
	cfg := strings.ReplaceAll(approxCaddyfile, "{UPSTREAM}", clusterUpstream(t))
	adapted, err := edgetest.AdaptRaw(strings.ReplaceAll(cfg, "{PORT}", "8080"))
	if err != nil {
		t.Fatal(err)
	}
	const limit, perKey, keys, bound = 100, 1000, 3, 15
	if !strings.Contains(string(adapted), `"overshoot_bound":{"approx":15}`) {
		t.Fatalf("adapted config does not state the bound of 15: %s", adapted)
	}
	edges := startEdges(t, 3, cfg, srv.URL(), "approx-test-secret")
	rc := redisClient(t, srv)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	run := func(path string) ([]int64, int64) {
		before := scriptCalls(t, rc)
		admitted := make([]atomic.Int64, keys)
		var other atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		// 16 workers per key, each request to the next instance.
		for k := 0; k < keys; k++ {
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i := w; i < perKey; i += 16 {
						req, _ := http.NewRequest(http.MethodGet, edges[i%3].URL(path), nil)
						req.Header.Set("X-User", fmt.Sprintf("%s-user-%d", path, k))
						resp, err := client.Do(req)
						if err != nil {
							other.Add(1)
							continue
						}
						resp.Body.Close()
						switch resp.StatusCode {
						case http.StatusTooManyRequests:
						case http.StatusOK, http.StatusNotFound:
							admitted[k].Add(1)
						default:
							other.Add(1)
						}
					}
				}()
			}
		}
		close(start)
		wg.Wait()
		if other.Load() != 0 {
			t.Fatalf("%s: %d requests failed or got an unexpected status", path, other.Load())
		}
		res := make([]int64, keys)
		for k := range res {
			res[k] = admitted[k].Load()
		}
		return res, scriptCalls(t, rc) - before
	}
	exact, exactScripts := run("/api/exact")
	approx, approxScripts := run("/api/approx")
	t.Logf("admitted per key of %d requests: exact %v (%d scripts), approximate %v (%d scripts); limit %d, bound +%d",
		perKey, exact, exactScripts, approx, approxScripts, limit, bound)
	for k := 0; k < keys; k++ {
		if exact[k] != limit {
			t.Errorf("exact zone, key %d: %d admitted, want exactly %d", k, exact[k], limit)
		}
		if approx[k] < limit || approx[k] > limit+bound {
			t.Errorf("approximate zone, key %d: %d admitted, want %d to %d", k, approx[k], limit, limit+bound)
		}
	}
	if exactScripts != keys*perKey {
		t.Errorf("exact zone: %d scripts for %d requests, want one each", exactScripts, keys*perKey)
	}
	if approxScripts >= exactScripts/2 {
		t.Errorf("approximate zone: %d scripts for %d requests, want far fewer than the exact zone's %d", approxScripts, keys*perKey, exactScripts)
	}
}

// countLines counts the lines of a file that contain substr.
func countLines(path, substr string) int {
	n := 0
	for _, line := range strings.Split(tail(path, 1<<20), "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
