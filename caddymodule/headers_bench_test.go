package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/headers"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// BenchmarkHeadersVersusStockHeader measures requests per second through
// Caddy + reverse_proxy with ocomms_headers against Caddy's stock header
// directive setting the same headers with a fixed CSP, side by side in one
// process: both sites run in one Caddy config and batches alternate between
// them, so machine noise hits both alike. The ratio metric is
// ocomms_headers throughput / stock throughput.
func BenchmarkHeadersVersusStockHeader(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Powered-By", "Next.js")
		io.WriteString(w, `<!doctype html><html><head><title>OComms</title></head><body><div id="app"></div></body></html>`)
	}))
	defer up.Close()

	o, _ := headers.Preset("ocomms")
	fixedCSP := strings.NewReplacer(headers.NonceToken, "'nonce-Zm9vYmFyYmF6cXV4cXV1eA'", headers.HostToken, "127.0.0.1").Replace(o.CSP.String())
	var stock strings.Builder
	fmt.Fprintf(&stock, "\t\tContent-Security-Policy %q\n", fixedCSP)
	fmt.Fprintf(&stock, "\t\tStrict-Transport-Security %q\n", o.HSTS)
	for _, f := range o.Set {
		fmt.Fprintf(&stock, "\t\t%s %q\n", f.Name, f.Value)
	}

	e := edgetest.New(b)
	portA, portB := edgetest.FreePort(b), edgetest.FreePort(b)
	e.Load(b, `{
	admin off
	http_port {HTTP_PORT}
	https_port {HTTPS_PORT}
	storage file_system {DIR}/storage
	auto_https off
}
http://127.0.0.1:{A} {
	ocomms_headers
	reverse_proxy {UP}
}
http://127.0.0.1:{B} {
	header {
{STOCK}	}
	reverse_proxy {UP}
}
`, "{A}", fmt.Sprint(portA), "{B}", fmt.Sprint(portB), "{UP}", strings.TrimPrefix(up.URL, "http://"), "{STOCK}", stock.String())

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	urlA := fmt.Sprintf("http://127.0.0.1:%d/", portA)
	urlB := fmt.Sprintf("http://127.0.0.1:%d/", portB)
	for _, u := range []string{urlA, urlB} { // warm up and check both serve
		if err := batch(client, u, 200, 8); err != nil {
			b.Fatal(err)
		}
	}
	var durA, durB time.Duration
	const perBatch, workers = 400, 8
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := batch(client, urlA, perBatch, workers); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := batch(client, urlB, perBatch, workers); err != nil {
			b.Fatal(err)
		}
		durA += t1.Sub(t0)
		durB += time.Since(t1)
	}
	rpsA := float64(b.N*perBatch) / durA.Seconds()
	rpsB := float64(b.N*perBatch) / durB.Seconds()
	b.ReportMetric(rpsA, "ocomms_req/s")
	b.ReportMetric(rpsB, "stock_req/s")
	b.ReportMetric(rpsA/rpsB, "ratio")
}

// batch sends n GET requests to url from the given number of workers and
// checks that every response carries a CSP.
func batch(c *http.Client, url string, n, workers int) error {
	return runBatch(url, n, workers, func(url string) error {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
			return fmt.Errorf("%s: status %d, CSP %q", url, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		return nil
	})
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
