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
	rates := interleavedRates(b, func(u string) error { return batchGet(client, u) }, urlA, urlB)
	rpsA, rpsB := rates[0], rates[1]
	b.ReportMetric(rpsA, "ocomms_req/s")
	b.ReportMetric(rpsB, "stock_req/s")
	b.ReportMetric(rpsA/rpsB, "ratio")
}

// batchGet sends one GET to url and checks the response carries a CSP.
func batchGet(c *http.Client, url string) error {
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
