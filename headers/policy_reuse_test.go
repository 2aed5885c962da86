package headers

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// TestNoncesDistinctAcrossGoroutines draws nonces from many goroutines at
// once, across many read-ahead batches: none repeats.
func TestNoncesDistinctAcrossGoroutines(t *testing.T) {
	const workers, each = 8, 3000 // 24,000 nonces: about 94 batches
	var mu sync.Mutex
	seen := make(map[string]bool, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]string, 0, each)
			for range each {
				local = append(local, NewNonce())
			}
			mu.Lock()
			defer mu.Unlock()
			for _, n := range local {
				if seen[n] {
					t.Errorf("nonce %q handed out twice", n)
				}
				seen[n] = true
			}
		}()
	}
	wg.Wait()
}

// TestNonceIsInTheCSPOfItsRequest: the nonce Begin reports is the one in
// every nonce source of the response's policy, and the one the request
// hands upstream.
func TestNonceIsInTheCSPOfItsRequest(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	w := newRecorder()
	r := newRequest(t, "GET", "https://chat.example/")
	rw := p.Begin(w, r)
	nonce := rw.Nonce()
	if len(nonce) != NonceLen {
		t.Fatalf("nonce %q: %d characters, want %d", nonce, len(nonce), NonceLen)
	}
	csp := w.Header().Get("Content-Security-Policy")
	want := strings.Count(p.opts.CSP.String(), NonceToken)
	if got := strings.Count(csp, "'nonce-"+nonce+"'"); got != want || strings.Count(csp, "'nonce-") != want {
		t.Errorf("CSP %q: %d sources with this request's nonce, want %d", csp, got, want)
	}
	if up := r.Header.Get("Content-Security-Policy"); up != "script-src 'nonce-"+nonce+"'" {
		t.Errorf("request CSP %q, want this request's nonce in script-src", up)
	}
}

// TestValuesNotSharedBetweenRequests rewrites the values a request got in
// place, as Caddy's header directive does with a replacement, and checks
// that neither the next request, nor the request's own CSP header, nor a
// released and reused writer sees the change.
func TestValuesNotSharedBetweenRequests(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	w1 := newRecorder()
	r1 := newRequest(t, "GET", "https://chat.example/")
	rw1 := p.Begin(w1, r1)
	csp1 := r1.Header.Get("Content-Security-Policy")
	want := map[string]string{}
	for name, vs := range w1.Header() {
		want[name] = vs[0]
		vs[0] = "rewritten"
	}
	if got := r1.Header.Get("Content-Security-Policy"); got != csp1 {
		t.Errorf("rewriting the response CSP changed the request's: %q", got)
	}
	rw1.WriteHeader(http.StatusOK)
	rw1.Close()
	rw1.Release()
	for range 3 {
		w2 := newRecorder()
		r2 := newRequest(t, "GET", "https://chat.example/")
		rw2 := p.Begin(w2, r2)
		rw2.WriteHeader(http.StatusOK)
		for name, v := range want {
			got := w2.Header().Get(name)
			if name == "Content-Security-Policy" {
				if got == v || !strings.Contains(got, "'nonce-"+rw2.Nonce()+"'") {
					t.Errorf("next request's CSP %q: want a new nonce (%q)", got, rw2.Nonce())
				}
				continue
			}
			if got != v {
				t.Errorf("next request's %s = %q, want %q", name, got, v)
			}
		}
		if got := w1.Header().Get("X-Frame-Options"); got != "rewritten" {
			t.Errorf("a later request changed a released request's header: %q", got)
		}
		rw2.Close()
		rw2.Release()
	}
}

// TestReportingEndpointsPerHost alternates hosts: each response names its
// own host in Reporting-Endpoints (the value is cached for the last host).
func TestReportingEndpointsPerHost(t *testing.T) {
	p := mustBuild(t, mustPreset(t, "ocomms"))
	for i := range 6 {
		host := []string{"a.example", "b.example:8443"}[i%2]
		if i >= 4 {
			host = "b.example:8443"
		}
		w := newRecorder()
		rw := p.Begin(w, newRequest(t, "GET", "https://"+host+"/"))
		got := w.Header().Get("Reporting-Endpoints")
		if want := DefaultReportGroup + `="https://` + host + DefaultReportPath + `"`; got != want {
			t.Errorf("request %d to %s: Reporting-Endpoints %q, want %q", i, host, got, want)
		}
		rw.Release()
	}
}

// TestBeginAllocations counts the policy's own allocations per request
// (a header map with room to spare, a released writer): the CSP value and
// the array behind the header values.
func TestBeginAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	p := mustBuild(t, mustPreset(t, "ocomms"))
	r := newRequest(t, "GET", "https://chat.example/")
	w := &testsupport.DiscardWriter{H: make(http.Header, 32)}
	allocs := testing.AllocsPerRun(1000, func() {
		clear(w.H)
		rw := p.Begin(w, r)
		rw.WriteHeader(http.StatusOK)
		rw.Close()
		rw.Release()
	})
	if allocs > 2 {
		t.Errorf("%.1f allocations per request, want at most 2 (the CSP value and the values array)", allocs)
	}
}
