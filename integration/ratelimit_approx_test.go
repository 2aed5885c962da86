package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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

// approxCaddyfile is one of three edge instances with an exact and an
// approximate zone of 100 per day (nothing comes back during the test),
// keyed on a header so each key is one client.
const approxCaddyfile = `{
	admin off
	auto_https off
	persist_config off
	ocomms {
		redis {env.OCOMMS_REDIS_URL}
		secret {env.OCOMMS_SECRET}
	}
}
http://127.0.0.1:{PORT} {
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
	up := httptest.NewServer(demoupstream.New(demoupstream.Options{}))
	t.Cleanup(up.Close)
	cfg := strings.ReplaceAll(approxCaddyfile, "{UPSTREAM}", strings.TrimPrefix(up.URL, "http://"))
	adapted, err := edgetest.AdaptRaw(strings.ReplaceAll(cfg, "{PORT}", "8080"))
	if err != nil {
		t.Fatal(err)
	}
	const limit, perKey, keys, bound = 100, 1000, 3, 15
	if !strings.Contains(string(adapted), `"overshoot_bound":{"approx":15}`) {
		t.Fatalf("adapted config does not state the bound of 15: %s", adapted)
	}
	var edges []*edgeProcess
	for i := 0; i < 3; i++ {
		edges = append(edges, startEdgeProcess(t, cfg, "OCOMMS_REDIS_URL="+srv.URL(), "OCOMMS_SECRET=approx-test-secret"))
	}
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
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
