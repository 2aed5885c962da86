package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// Throughput benchmarks through Caddy: each directive against a site
// without it, side by side in one process. All sites run in one Caddy
// config and batches alternate between them, so machine noise hits them
// alike; the ratios are what to read.

// BenchmarkHeadersVersusStockHeader measures requests per second through
// Caddy + reverse_proxy with ocomms_headers against Caddy's stock header
// directive setting the same headers with a fixed CSP. The ratio metric is
// ocomms_headers throughput / stock throughput.
func BenchmarkHeadersVersusStockHeader(b *testing.B) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Powered-By", "Next.js")
		io.WriteString(w, `<!doctype html><html><head><title>OComms</title></head><body><div id="app"></div></body></html>`)
	})
	stock := "\theader {\n" + presetHeaderFields(b) + "\t}\n"
	urls := startBenchSites(b, up, nil, "/", "\tocomms_headers\n", stock)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	rates := interleavedRates(b, benchGet(client, func(resp *http.Response) error {
		if resp.Header.Get("Content-Security-Policy") == "" {
			return fmt.Errorf("no CSP")
		}
		return nil
	}), urls...)
	b.ReportMetric(rates[0], "ocomms_req/s")
	b.ReportMetric(rates[1], "stock_req/s")
	b.ReportMetric(rates[0]/rates[1], "ratio")
}

// BenchmarkRateLimitVersusPlainProxy measures requests per second through
// Caddy + reverse_proxy with no limiter, with ocomms_rate_limit on the
// memory store, and (when Redis answers on 127.0.0.1:6379) on Redis.
// Every request is decided by two zones (client IP and a header key) that
// never refuse. Metrics: memory_ratio and redis_ratio are throughput /
// plain throughput.
func BenchmarkRateLimitVersusPlainProxy(b *testing.B) {
	redisURL := "redis://" + testsupport.SharedRedisAddr + "/0"
	rc := redis.NewClient(&redis.Options{Addr: testsupport.SharedRedisAddr})
	haveRedis := rc.Ping(b.Context()).Err() == nil
	rc.Close()
	if !haveRedis {
		redisURL = "{env.OCOMMS_BENCH_UNSET}" // resolves empty: memory
	}
	const zones = `
		zone bench-ip {
			rate 1000000/1s
			key client_ip
		}
		zone bench-user {
			rate 1000000/1s
			key header X-User
		}
`
	urls := startBenchSites(b, healthyUpstream(), []string{"ocomms {\n\t\tredis " + redisURL + "\n\t\tsecret bench-secret\n\t}"}, "/",
		"", // plain
		"\tocomms_rate_limit none {\n\t\tstore memory"+zones+"\t}\n",
		"\tocomms_rate_limit none {"+zones+"\t}\n", // redis
	)
	if !haveRedis {
		urls = urls[:2]
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	rates := interleavedRates(b, benchGet(client, nil, "X-User", "bench"), urls...)
	b.ReportMetric(rates[0], "plain_req/s")
	b.ReportMetric(rates[1]/rates[0], "memory_ratio")
	if haveRedis {
		b.ReportMetric(rates[2]/rates[0], "redis_ratio")
	}
}

// BenchmarkAuthGuardVersusBare measures requests per second on a non-auth
// path through Caddy + reverse_proxy with ocomms_auth_guard against the
// same site without it. The ratio metric is guard throughput / bare
// throughput: the guard must cost nothing outside its prefix.
func BenchmarkAuthGuardVersusBare(b *testing.B) {
	urls := startBenchSites(b, healthyUpstream(), nil, "/api/health", "\tocomms_auth_guard\n", "")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	rates := interleavedRates(b, benchGet(client, nil), urls...)
	b.ReportMetric(rates[0], "guard_req/s")
	b.ReportMetric(rates[1], "bare_req/s")
	b.ReportMetric(rates[0]/rates[1], "ratio")
}

// healthyUpstream answers every request with a small JSON body.
func healthyUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"healthy"}`)
	})
}

// startBenchSites runs one Caddy config (plain HTTP, no admin API, with
// the global options given) with a site per variant, each on a port of its
// own with its directives in front of reverse_proxy to up, and returns
// each site's URL for path, in order.
func startBenchSites(b *testing.B, up http.Handler, global []string, path string, directives ...string) []string {
	b.Helper()
	var sites strings.Builder
	urls := make([]string, len(directives))
	for i, d := range directives {
		port := testsupport.FreePort(b)
		fmt.Fprintf(&sites, "http://127.0.0.1:%d {\n%s\treverse_proxy {UP}\n}\n", port, d)
		urls[i] = fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
	}
	e := edgetest.New(b)
	e.Load(b, modtest.EdgeCaddyfile(sites.String(), append([]string{modtest.AdminOff, modtest.FileStorage, modtest.AutoHTTPSOff}, global...)...), "{UP}", modtest.Serve(b, up))
	return urls
}

// benchGet returns a request for interleavedRates: a GET of a url with the
// header pairs given, an error unless it answers 200 and passes check
// (when not nil).
func benchGet(client *http.Client, check func(*http.Response) error, header ...string) func(string) error {
	return func(url string) error {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d", url, resp.StatusCode)
		}
		if check != nil {
			if err := check(resp); err != nil {
				return fmt.Errorf("%s: %w", url, err)
			}
		}
		return nil
	}
}

// runBatch calls do(url) n times from the given number of workers and
// returns the first error.
func runBatch(url string, n, workers int, do func(string) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	per := n / workers
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if err := do(url); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// interleavedRates measures the urls in turn, a batch of perBatch requests
// each (from workers goroutines), for b.N rounds after a warm-up batch
// that also checks each serves, and returns requests/s per url in order.
// Alternating batches share every moment of the machine's drift, so the
// ratios between them are what to read.
func interleavedRates(b *testing.B, do func(string) error, urls ...string) []float64 {
	b.Helper()
	const perBatch, workers = 400, 8
	for _, u := range urls {
		if err := runBatch(u, 200, workers, do); err != nil {
			b.Fatal(err)
		}
	}
	dur := make([]time.Duration, len(urls))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, u := range urls {
			t0 := time.Now()
			if err := runBatch(u, perBatch, workers, do); err != nil {
				b.Fatal(err)
			}
			dur[k] += time.Since(t0)
		}
	}
	b.StopTimer()
	rates := make([]float64, len(urls))
	for k := range urls {
		rates[k] = float64(b.N*perBatch) / dur[k].Seconds()
	}
	return rates
}
