package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// BenchmarkRateLimitVersusPlainProxy measures requests per second through
// Caddy + reverse_proxy with no limiter, with ocomms_rate_limit on the
// memory store, and (when Redis answers on 127.0.0.1:6379) on Redis, side
// by side in one Caddy config with alternating batches. Every request is
// decided by two zones (client IP and a header key) that never refuse.
// Metrics: memory_ratio and redis_ratio are throughput / plain throughput.
func BenchmarkRateLimitVersusPlainProxy(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"healthy"}`)
	}))
	defer up.Close()
	redisURL := "redis://127.0.0.1:6379/0"
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	haveRedis := rc.Ping(b.Context()).Err() == nil
	rc.Close()
	if !haveRedis {
		redisURL = "{env.OCOMMS_BENCH_UNSET}" // resolves empty: memory
	}

	e := edgetest.New(b)
	ports := map[string]int{"plain": edgetest.FreePort(b), "memory": edgetest.FreePort(b), "redis": edgetest.FreePort(b)}
	zones := `zone bench-ip {
			rate 1000000/1s
			key client_ip
		}
		zone bench-user {
			rate 1000000/1s
			key header X-User
		}`
	e.Load(b, `{
	admin off
	http_port {HTTP_PORT}
	https_port {HTTPS_PORT}
	storage file_system {DIR}/storage
	auto_https off
	ocomms {
		redis {REDIS}
		secret bench-secret
	}
}
http://127.0.0.1:{PLAIN} {
	reverse_proxy {UP}
}
http://127.0.0.1:{MEMORY} {
	ocomms_rate_limit none {
		store memory
		{ZONES}
	}
	reverse_proxy {UP}
}
http://127.0.0.1:{REDISPORT} {
	ocomms_rate_limit none {
		{ZONES}
	}
	reverse_proxy {UP}
}
`, "{UP}", strings.TrimPrefix(up.URL, "http://"), "{PLAIN}", fmt.Sprint(ports["plain"]),
		"{MEMORY}", fmt.Sprint(ports["memory"]), "{REDISPORT}", fmt.Sprint(ports["redis"]),
		"{ZONES}", zones, "{REDIS}", redisURL)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	variants := []string{"plain", "memory"}
	if haveRedis {
		variants = append(variants, "redis")
	}
	get := func(url string) error {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-User", "bench")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s: status %d", url, resp.StatusCode)
		}
		return nil
	}
	var urls []string
	for _, v := range variants {
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d/", ports[v]))
	}
	rates := interleavedRates(b, get, urls...)
	rps := func(v string) float64 { return rates[slices.Index(variants, v)] }
	b.ReportMetric(rps("plain"), "plain_req/s")
	b.ReportMetric(rps("memory")/rps("plain"), "memory_ratio")
	if haveRedis {
		b.ReportMetric(rps("redis")/rps("plain"), "redis_ratio")
	}
}
