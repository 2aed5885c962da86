package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// BenchmarkAuthGuardVersusBare measures requests per second on a non-auth
// path through Caddy + reverse_proxy with ocomms_auth_guard against the same
// site without it, side by side in one process (batches alternate, so
// machine noise hits both alike). The ratio metric is guard throughput /
// bare throughput: the guard must cost nothing outside its prefix.
func BenchmarkAuthGuardVersusBare(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"healthy"}`)
	}))
	defer up.Close()
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
	ocomms_auth_guard
	reverse_proxy {UP}
}
http://127.0.0.1:{B} {
	reverse_proxy {UP}
}
`, "{A}", fmt.Sprint(portA), "{B}", fmt.Sprint(portB), "{UP}", strings.TrimPrefix(up.URL, "http://"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(url string) error {
		resp, err := client.Get(url)
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
	urlA := fmt.Sprintf("http://127.0.0.1:%d/api/health", portA)
	urlB := fmt.Sprintf("http://127.0.0.1:%d/api/health", portB)
	rates := interleavedRates(b, get, urlA, urlB)
	rpsA, rpsB := rates[0], rates[1]
	b.ReportMetric(rpsA, "guard_req/s")
	b.ReportMetric(rpsB, "bare_req/s")
	b.ReportMetric(rpsA/rpsB, "ratio")
}
