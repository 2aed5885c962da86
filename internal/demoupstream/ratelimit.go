package demoupstream

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Built-in better-auth rate-limit rules (window 10 s).
const (
	rateWindow     = 10 * time.Second
	rateMaxDefault = 100
	rateMaxStrict  = 3
)

// strictRatePrefixes are the paths with better-auth's 3-per-window rule.
var strictRatePrefixes = []string{"/sign-in", "/sign-up", "/change-password", "/change-email"}

// rateLimiter emulates better-auth's memory rate limiter, keyed by the
// first X-Forwarded-For entry plus the path; no such header, no limit.
type rateLimiter struct {
	mu      sync.Mutex
	buckets map[string]*rateBucket
}

// rateBucket counts requests since the last one that was let through.
type rateBucket struct {
	count int
	last  time.Time
}

// newRateLimiter returns an empty limiter.
func newRateLimiter() *rateLimiter {
	return &rateLimiter{buckets: map[string]*rateBucket{}}
}

// reject counts the request and, when over the limit, writes the recorded
// 429 (with X-Retry-After) and returns true.
func (l *rateLimiter) reject(w http.ResponseWriter, r *http.Request, path string) bool {
	ip, _, _ := strings.Cut(r.Header.Get("X-Forwarded-For"), ",")
	ip = strings.TrimSpace(ip)
	if ip == "" {
		return false
	}
	limit := rateMaxDefault
	for _, p := range strictRatePrefixes {
		if strings.HasPrefix(path, p) {
			limit = rateMaxStrict
		}
	}
	retry, limited := l.count(ip+path, limit, time.Now())
	if !limited {
		return false
	}
	w.Header().Set("X-Retry-After", strconv.Itoa(retry))
	writeRecorded(w, recRateLimited, "x-retry-after")
	return true
}

// count applies one request to a bucket and reports whether it is over
// the limit, with the seconds until the window ends.
func (l *rateLimiter) count(key string, limit int, now time.Time) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if now.Sub(b.last) > rateWindow {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[key]
	if !ok {
		l.buckets[key] = &rateBucket{count: 1, last: now}
		return 0, false
	}
	since := now.Sub(b.last)
	if since < rateWindow && b.count >= limit {
		return int(math.Ceil((rateWindow - since).Seconds())), true
	}
	if since > rateWindow {
		b.count = 1
	} else {
		b.count++
	}
	b.last = now
	return 0, false
}
