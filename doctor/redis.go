package doctor

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisPings is how many PINGs measure the latency.
const redisPings = 5

// redisSlow is the PING latency that warns: a fifth of the rate limiter's
// default 50 ms decision timeout.
const redisSlow = 10 * time.Millisecond

// checkRedis connects to the edge's Redis, PINGs it and judges the
// latency and the transport.
func checkRedis(ctx context.Context, opts Options) Result {
	const name = "redis"
	if opts.RedisURL == "" {
		return skipped(name, "no --redis URL (the rate limiter then counts in memory)")
	}
	shown := RedactURL(opts.RedisURL)
	ro, err := redis.ParseURL(opts.RedisURL)
	if err != nil {
		return Result{Name: name, Status: Fail, Detail: "parsing " + shown + ": " + scrub(err, urlPassword(opts.RedisURL)), Fix: "redis://host:6379 or rediss://host:6380 (TLS)"}
	}
	if ro.TLSConfig != nil {
		ro.TLSConfig.RootCAs = opts.RootCAs
		ro.TLSConfig.MinVersion = tls.VersionTLS12
	}
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = opts.Timeout, opts.Timeout, opts.Timeout
	ro.MaxRetries = -1
	ro.PoolSize = 1
	c := redis.NewClient(ro)
	defer c.Close()

	var lat []time.Duration
	for i := 0; i < redisPings; i++ {
		t0 := time.Now()
		if err := c.Ping(ctx).Err(); err != nil {
			fix := "start Redis or fix OCOMMS_REDIS_URL; while it is down the rate limiter falls back per zone (on_store_error)"
			if msg := err.Error(); strings.Contains(msg, "certificate") || strings.Contains(msg, "x509") {
				fix = "Redis's TLS certificate does not verify: the edge checks rediss:// against the system roots; use a certificate they trust for this host name (and pass a private CA to the doctor with --cacert)"
			}
			return Result{Name: name, Status: Fail, Detail: fmt.Sprintf("PING %s: %s", shown, scrub(err, ro.Password)), Fix: fix}
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	median, worst := lat[len(lat)/2], lat[len(lat)-1]
	host, _, _ := net.SplitHostPort(ro.Addr)
	tlsOn := ro.TLSConfig != nil
	data := map[string]any{"ping_median_ms": ms(median), "ping_max_ms": ms(worst), "tls": tlsOn}
	transport := "TLS"
	if !tlsOn {
		transport = "no TLS"
	}
	detail := fmt.Sprintf("%s: PONG, median %.2f ms, max %.2f ms over %d PINGs, %s", shown, ms(median), ms(worst), redisPings, transport)
	res := Result{Name: name, Status: Pass, Detail: detail, Data: data}
	switch {
	case !tlsOn && !isLoopbackHost(host):
		res.Status = Warn
		res.Detail += " to a host that is not loopback: credentials and hashed client keys cross the network in clear"
		res.Fix = "use rediss:// (Redis with tls-port) for any host but this one (SEC-05)"
	case !tlsOn:
		res.Detail += " (loopback: fine)"
	}
	if median > redisSlow {
		res.Status = worse(res.Status, Warn)
		res.Detail += fmt.Sprintf("; slow: over %v", redisSlow)
		if res.Fix != "" {
			res.Fix += "; "
		}
		res.Fix += "put Redis near the edge (same host or network); each rate-limit decision waits at most 50 ms"
	}
	return res
}

// ms is a duration in milliseconds with two decimals.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
