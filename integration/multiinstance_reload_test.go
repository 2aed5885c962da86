package integration

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/secevent"
)

// reloadLoad is the outcome of a load driven through a cluster.
type reloadLoad struct {
	admitted, refused, other, errs atomic.Int64    // GET /api/health
	signIns, signInBad             atomic.Int64    // demo sign-ins answered, and not answered 200
	signInsBy, refusedBy           [3]atomic.Int64 // sign-ins answered 200, GETs refused, per instance
	acrossReload                   atomic.Int64    // requests to the reloaded instance in flight across a reload
	dropped                        atomic.Int64    // fresh connections to the reloaded instance closed unanswered
	firstErr                       atomic.Value    // string
}

func (l *reloadLoad) fail(msg string) {
	l.firstErr.CompareAndSwap(nil, msg)
}

// droppedUnanswered reports whether err is a connection closed before any
// response byte: what net/http's server does to a request it reads on a
// connection accepted just before its Shutdown (server.go: "if
// c.server.shuttingDown() { return }" after readRequest), which happens to
// the old server of a reload that accepted from the shared listener a
// moment before it was stopped. The handler never runs, so nothing was
// counted or forwarded and the request can be sent again; the exact
// counts below check that.
func droppedUnanswered(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// getLoad sends one GET of the load zone through n. The transport itself
// resends a GET whose reused keep-alive connection the server closed; a
// fresh connection to the reloaded instance dropped unanswered (see
// droppedUnanswered) is counted and sent once more. Any other error, or
// an error on the second try, is returned.
func getLoad(client *http.Client, n *instance, load *reloadLoad, reloaded *instance) (*http.Response, error) {
	for try := 0; ; try++ {
		req, _ := http.NewRequest(http.MethodGet, n.URL("/api/health"), nil)
		req.Header.Set("X-Load", "reload-mid-load")
		reused := false
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(ci httptrace.GotConnInfo) { reused = ci.Reused },
		}))
		resp, err := client.Do(req)
		if err == nil {
			return resp, nil
		}
		if try > 0 || reused || n != reloaded || !droppedUnanswered(err) {
			return nil, fmt.Errorf("%s (try %d, reused connection %v): %w", n.Name, try+1, reused, err)
		}
		load.dropped.Add(1)
	}
}

// TestMultiInstanceReloadMidLoad reloads one of three instances twice
// (POST /load of its own Caddyfile with Cache-Control: must-revalidate, as
// `caddy reload --force`) while a bounded load runs through all of them:
// 3,000 GETs counted by one shared zone (a burst of 2,000 refilling one an
// hour) on keep-alive connections, and sequential demo sign-ins, each on
// its own connection. No request may fail or see a 5xx, the zone must
// admit exactly 2,000 (a count lost or doubled in the reload would change
// it), exactly the admitted GETs and every answered sign-in reach the app.
//
// One thing is let through, counted and logged: a fresh connection to the
// reloaded instance closed unanswered just as the reload stopped the old
// server (see droppedUnanswered). Most are the kernel resetting what was
// queued on the old SO_REUSEPORT listener when it closed (the host's
// net.ipv4.tcp_migrate_req=1 moves those to the new listener); the rest
// is net/http's stopping server ending a connection it had just accepted
// (golang/go#75591). Such a request is sent once more, on a fresh
// connection; that its handler never ran is what the exact counts prove.
// A browser sees this as a failed request (it retries only on a reused
// connection), so this is a limit of the host and of Caddy's reload,
// documented in README "Several instances as one edge", not something the
// edge could answer.
func TestMultiInstanceReloadMidLoad(t *testing.T) {
	const (
		total    = 3000
		limit    = 2000
		workers  = 6
		maxSigns = 400
	)
	c := startMultiCluster(t, clusterOptions{LoadLimit: limit, Postgres: true}, "edge-a", "edge-b", "edge-c")
	reloaded := c.Nodes[1]
	// Reload at these GET counts; requests past gates[k] wait for reload k
	// to finish, so each reload happens mid-load however slow the machine.
	triggers := []int64{total / 4, total * 7 / 12}
	gates := []int64{total * 5 / 12, total * 3 / 4}
	reloadDone := make([]chan struct{}, len(triggers))
	for i := range reloadDone {
		reloadDone[i] = make(chan struct{})
	}
	var reloading atomic.Int32 // 1 while a reload request is outstanding
	var started, finished atomic.Int64
	var load reloadLoad
	appSignIns := c.App.signIn.Load()
	appHealth := c.App.health.Load()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := started.Add(1) - 1
				if i >= total {
					return
				}
				for k, g := range gates {
					if i >= g {
						<-reloadDone[k]
					}
				}
				n := c.Nodes[i%int64(len(c.Nodes))]
				inReloadAtStart := reloading.Load() > 0
				resp, err := getLoad(client, n, &load, reloaded)
				if n == reloaded && (inReloadAtStart || reloading.Load() > 0) {
					load.acrossReload.Add(1)
				}
				finished.Add(1)
				if err != nil {
					load.errs.Add(1)
					load.fail(err.Error())
					continue
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					load.admitted.Add(1)
				case http.StatusTooManyRequests:
					load.refused.Add(1)
					load.refusedBy[i%int64(len(c.Nodes))].Add(1)
				default:
					load.other.Add(1)
					load.fail(n.Name + ": " + resp.Status)
				}
			}
		}()
	}
	// Sign-ins, one at a time (one account), round robin, until the GETs
	// are done (at most maxSigns).
	getsDone := make(chan struct{})
	signDone := make(chan struct{})
	go func() {
		defer close(signDone)
		for i := 0; i < maxSigns; i++ {
			select {
			case <-getsDone:
				return
			default:
			}
			n := c.Nodes[i%len(c.Nodes)]
			r, err := n.signIn(demoupstream.DemoEmail, demoupstream.DefaultPassword, nil)
			if err != nil && n == reloaded && droppedUnanswered(err) {
				load.dropped.Add(1)
				r, err = n.signIn(demoupstream.DemoEmail, demoupstream.DefaultPassword, nil)
			}
			load.signIns.Add(1)
			if err == nil && r.Status == http.StatusOK {
				load.signInsBy[i%len(c.Nodes)].Add(1)
			}
			if err != nil || r.Status != http.StatusOK {
				load.signInBad.Add(1)
				if err != nil {
					load.fail(err.Error())
				} else {
					load.fail(n.Name + " sign-in: " + r.Body)
				}
			}
		}
	}()
	// The reloads. t.Fatal is only called from this goroutine.
	func() {
		defer func() {
			for _, ch := range reloadDone {
				select {
				case <-ch:
				default:
					close(ch)
				}
			}
		}()
		for k, at := range triggers {
			deadline := time.Now().Add(60 * time.Second)
			for finished.Load() < at && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if finished.Load() < at {
				t.Errorf("the load did not reach %d requests", at)
				return
			}
			reloading.Add(1)
			reloaded.reload(t)
			reloading.Add(-1)
			close(reloadDone[k])
		}
	}()
	wg.Wait()
	close(getsDone)
	<-signDone
	if t.Failed() {
		t.FailNow()
	}

	if n := countLines(reloaded.log, `"load complete"`); n < len(triggers) {
		t.Fatalf("%s logged %d completed loads, want the %d reloads", reloaded.Name, n, len(triggers))
	}
	if msg, _ := load.firstErr.Load().(string); load.errs.Load() != 0 || load.other.Load() != 0 || load.signInBad.Load() != 0 {
		t.Fatalf("across the reloads: %d transport errors, %d unexpected statuses, %d failed sign-ins; first: %s",
			load.errs.Load(), load.other.Load(), load.signInBad.Load(), msg)
	}
	if load.admitted.Load() != limit || load.refused.Load() != total-limit {
		t.Fatalf("the shared zone of %d over %d GETs across reloads admitted %d and refused %d, want exactly %d / %d",
			limit, total, load.admitted.Load(), load.refused.Load(), limit, total-limit)
	}
	if got := c.App.health.Load() - appHealth; got != limit {
		t.Fatalf("%d GETs reached the app, want the %d admitted", got, limit)
	}
	if got := c.App.signIn.Load() - appSignIns; got != load.signIns.Load() {
		t.Fatalf("%d sign-ins reached the app, %d were answered", got, load.signIns.Load())
	}
	if load.acrossReload.Load() == 0 {
		t.Fatalf("no request to %s was in flight during a reload: the reloads did not happen mid-load", reloaded.Name)
	}
	// No event lost or doubled: each instance's JSONL chain and the shared
	// PostgreSQL hold exactly one sign_in_succeeded per sign-in it
	// answered and one rate_limited per GET it refused, the reloaded
	// instance one configuration_loaded per load, and every chain verifies
	// (the reloaded instance kept one pipeline and one chain).
	want := map[secevent.Action]map[string]int{
		secevent.ActionSignInSucceeded: {},
		secevent.ActionRateLimited:     {},
		secevent.ActionConfigLoaded:    {},
	}
	for k, n := range c.Nodes {
		want[secevent.ActionSignInSucceeded][n.Name] = int(load.signInsBy[k].Load())
		want[secevent.ActionRateLimited][n.Name] = int(load.refusedBy[k].Load())
		want[secevent.ActionConfigLoaded][n.Name] = 1
	}
	want[secevent.ActionConfigLoaded][reloaded.Name] = 1 + len(triggers)
	c.checkAuditOnce(t, want)
	t.Logf("%d GETs (%d admitted, %d refused) and %d sign-ins through 3 instances, %s reloaded %d times with %d of its requests in flight across a reload: 0 errors, 0 5xx, every event stored once per store; %d fresh connections dropped unanswered by the stopping server and sent again",
		total, load.admitted.Load(), load.refused.Load(), load.signIns.Load(), reloaded.Name, len(triggers), load.acrossReload.Load(), load.dropped.Load())
}
