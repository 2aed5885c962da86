package caddymodule

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// rateLimitCaddyfile has a tight zone on /tight beside the preset's, and
// {EXTRA} more rate limiter options.
var rateLimitCaddyfile = modtest.SiteCaddyfile(`localhost {
	ocomms_headers
	ocomms_rate_limit {
		zone tight {
			match {
				path /tight
			}
			rate 3/1m
			key client_ip
		}
		{EXTRA}
	}
	reverse_proxy {UPSTREAM}
}
`, modtest.TrustedProxies)

// startRateLimitEdge starts rateLimitCaddyfile with extra in front of the
// demo app, and returns the edge and the app's address.
func startRateLimitEdge(t *testing.T, extra string) (*edgetest.Edge, string) {
	t.Helper()
	e := modtest.NewEdge(t)
	up := modtest.Serve(t, demoupstream.NewHandler(demoupstream.Options{PollHold: 50e6}))
	e.Load(t, rateLimitCaddyfile, "{UPSTREAM}", up, "{EXTRA}", extra)
	return e, up
}

func TestRateLimit429ThroughCaddy(t *testing.T) {
	e, _ := startRateLimitEdge(t, "")
	for i := 0; i < 3; i++ {
		// A forged X-Forwarded-For from an untrusted peer changes nothing.
		resp := e.Get(t, "/tight", "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		if resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d refused", i+1)
		}
	}
	resp := e.Get(t, "/tight", "X-Forwarded-For", "198.51.100.99")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th request: status %d, want 429 (spoofed X-Forwarded-For must not open a new budget)", resp.StatusCode)
	}
	var body struct{ Code, Message, Error string }
	edgetest.DecodeJSON(t, resp, &body)
	if body.Code != "RATE_LIMITED" || body.Message == "" || body.Error == "" {
		t.Fatalf("429 body %+v", body)
	}
	for _, h := range []string{"Retry-After", "X-Retry-After", "RateLimit", "RateLimit-Policy", "Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("429 lacks %s", h)
		}
	}
	if ra := resp.Header.Get("Retry-After"); ra != "20" {
		t.Errorf("Retry-After = %q, want 20 (3/1m: one request back every 20s)", ra)
	}
}

func TestSignInZonesCountOnlyFailures(t *testing.T) {
	e, _ := startRateLimitEdge(t, "")
	signIn := func(password string) int {
		body := modtest.SignInBody(demoupstream.DemoEmail, password)
		resp, err := e.Client.Do(modtest.NewRequest(t, http.MethodPost, e.URL("/api/auth/sign-in/email"), "application/json", bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	// The preset's per-email zone counts 401s only: 20 successes cost
	// nothing, then 10 failures use the budget, and the 11th is refused.
	for i := 0; i < 20; i++ {
		if s := signIn(demoupstream.DefaultPassword); s != 200 {
			t.Fatalf("successful sign-in %d: status %d", i+1, s)
		}
	}
	for i := 0; i < 10; i++ {
		if s := signIn("wrong password"); s != 401 {
			t.Fatalf("failed sign-in %d: status %d, want 401 from the app", i+1, s)
		}
	}
	if s := signIn("wrong password"); s != 429 {
		t.Fatalf("11th failure: status %d, want 429", s)
	}
}

func TestSocketIOPollingClientsBehindOneIPAreNotLimited(t *testing.T) {
	e, _ := startRateLimitEdge(t, "")
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for c := 0; c < 50; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 6; i++ { // handshake plus polls, as a busy client
				resp, err := e.Client.Get(e.URL("/socket.io/?EIO=4&transport=polling"))
				mu.Lock()
				if err != nil {
					statuses[-1]++
				} else {
					statuses[resp.StatusCode]++
					resp.Body.Close()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if statuses[200] != 300 {
		t.Fatalf("300 Socket.IO requests from one IP: statuses %v, want all 200", statuses)
	}
}

func TestRateLimitStateSurvivesReload(t *testing.T) {
	e, up := startRateLimitEdge(t, "")
	for i := 0; i < 3; i++ {
		e.Get(t, "/tight")
	}
	// A real change, so Caddy reloads.
	e.Load(t, rateLimitCaddyfile, "{UPSTREAM}", up, "{EXTRA}", "admitted_headers")
	if resp := e.Get(t, "/tight"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after a reload the spent budget came back: status %d", resp.StatusCode)
	}
}

func TestBadRateLimitConfigRefused(t *testing.T) {
	var cases []modtest.RefusedConfig
	for _, tc := range []struct{ block, want string }{
		{"zone a {\n\t\t\trate 0/1m\n\t\t\tkey client_ip\n\t\t}", "the count must be a whole number of at least 1"},
		{"zone a {\n\t\t\trate 5/1m\n\t\t\tburst 0\n\t\t\tkey client_ip\n\t\t}", "burst 0 is below 1"},
		{"zone a {\n\t\t\trate 5/1m\n\t\t\tkey geo\n\t\t}", "use client_ip, header <name>"},
		{"zone a {\n\t\t\trate 5/1m\n\t\t\tkey client_ip\n\t\t}\n\t\tzone a {\n\t\t\trate 5/1m\n\t\t\tkey client_ip\n\t\t}", "zone a is defined twice"},
		{"zone a {\n\t\t\tkey client_ip\n\t\t}", "rate is required"},
		{"remove_zone nope", "no such zone"},
		{"store redis", "no Redis configured"},
	} {
		site := "localhost {\n\tocomms_rate_limit {\n\t\t" + tc.block + "\n\t}\n\trespond ok\n}\n"
		cases = append(cases, modtest.RefusedConfig{Name: fmt.Sprintf("%q", tc.block), Caddyfile: modtest.EdgeCaddyfile(site, modtest.AdminOff, modtest.FileStorage), Want: tc.want})
	}
	modtest.CheckRefused(t, modtest.NewEdge(t), cases)
}

func TestAdmittedResponsesCarryRateLimitHeaders(t *testing.T) {
	e, _ := startRateLimitEdge(t, "admitted_headers")
	resp := e.Get(t, "/api/health")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("RateLimit-Policy"); got != `"api-ip";q=600;w=60` {
		t.Fatalf("RateLimit-Policy = %q", got)
	}
	if got := resp.Header.Get("RateLimit"); got != `"api-ip";r=199;t=1` {
		t.Fatalf("RateLimit = %q, want the burst of 200 less this request", got)
	}
}

func TestOcommsRedisConfigRefusedWithoutLeakingSecrets(t *testing.T) {
	withRedis := func(url string) string {
		return modtest.EdgeCaddyfile("localhost {\n\tocomms_rate_limit\n\trespond ok\n}\n",
			modtest.AdminOff, modtest.FileStorage, "ocomms {\n\t\tredis "+url+"\n\t}")
	}
	e := modtest.NewEdge(t)
	var cases []modtest.RefusedConfig
	for _, tc := range []struct{ url, want string }{
		{"redis://:hunter2@10.1.2.3:6379", "without TLS: use rediss://"},
		{"redis://:hunter2@db.example.com:6379/0", "without TLS: use rediss://"},
		{"mysql://:hunter2@127.0.0.1/x", "parsing the redis URL"},
	} {
		cases = append(cases, modtest.RefusedConfig{Name: tc.url, Caddyfile: withRedis(tc.url), Want: tc.want})
	}
	modtest.CheckRefused(t, e, cases, "hunter2")
	// Loopback in clear text is fine (and dials nothing at provision).
	if err := e.TryLoad(t, withRedis("redis://127.0.0.1:1")); err != nil {
		t.Fatalf("loopback Redis refused, or provisioning dialled it: %v", err)
	}
}
