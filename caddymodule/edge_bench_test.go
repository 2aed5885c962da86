package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/stockheader"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// presetHeaderFields are the header directive's lines setting the ocomms
// preset's fields, with a fixed CSP (no nonce): internal/stockheader.
func presetHeaderFields(b testing.TB) string {
	f, err := stockheader.Fields()
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkEdgeVersusStock is cmd/ocomms-bench's api scenario in one
// process, one request at a time: GET /api/health from a new client address
// per request (X-Forwarded-For from a trusted proxy) through stock Caddy
// reverse_proxy, the same with the ocomms preset's headers as a stock
// header block, and the full edge (ocomms_headers, ocomms_auth_guard,
// ocomms_rate_limit ocomms, ocomms_audit on embedded defaults), in front of
// the demo upstream. The client and the upstream run in the same process
// and cost the same in every variant, so the differences between the
// variants' allocs/op and B/op are exactly what the edge's modules add per
// request (run with -benchmem; -memprofile/-cpuprofile to see where).
// ns/op is noisy on a shared machine; the allocations are not, and
// cpu-ns/op (the process's CPU time per request) much less.
func BenchmarkEdgeVersusStock(b *testing.B) {
	app := demoupstream.NewHandler(demoupstream.Options{})
	defer app.Close()

	stockHeader, err := stockheader.Block()
	if err != nil {
		b.Fatal(err)
	}
	e := edgetest.New(b)
	ports := map[string]int{"stock": testsupport.FreePort(b), "stock+header": testsupport.FreePort(b), "edge": testsupport.FreePort(b)}
	upAddr := modtest.Serve(b, app) // closed after app, at cleanup
	e.Load(b, `{
	admin off
	http_port {HTTP_PORT}
	https_port {HTTPS_PORT}
	storage file_system {DIR}/storage
	auto_https off
	servers {
		trusted_proxies static 127.0.0.1/32
		trusted_proxies_strict
		client_ip_headers X-Forwarded-For
	}
	ocomms {
		secret bench-secret-not-for-production
		audit {
			jsonl {DIR}/audit
		}
	}
}
(proxy) {
	reverse_proxy {UP} {
		header_up X-Forwarded-For {client_ip}
		header_up X-Real-IP {client_ip}
		flush_interval -1
	}
}
http://127.0.0.1:{STOCK} {
	import proxy
}
http://127.0.0.1:{HEADER} {
	{STOCKHEADER}
	import proxy
}
http://127.0.0.1:{EDGE} {
	ocomms_headers ocomms
	ocomms_auth_guard
	ocomms_rate_limit ocomms
	ocomms_audit {
		session_url http://{UP}/api/auth/get-session
	}
	import proxy
}
`, "{UP}", upAddr, "{STOCK}", fmt.Sprint(ports["stock"]), "{HEADER}", fmt.Sprint(ports["stock+header"]),
		"{EDGE}", fmt.Sprint(ports["edge"]), "{STOCKHEADER}", stockHeader)

	for _, name := range []string{"stock", "stock+header", "edge"} {
		b.Run(name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
			defer client.CloseIdleConnections()
			url := fmt.Sprintf("http://127.0.0.1:%d/api/health", ports[name])
			get := func(i int) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)))
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: status %d", name, resp.StatusCode)
				}
				if name != "stock" && resp.Header.Get("Content-Security-Policy") == "" {
					b.Fatalf("%s: no CSP", name)
				}
			}
			for i := range 200 { // warm up: connections, pools, maps
				get(i)
			}
			b.ReportAllocs()
			defer testsupport.ReportCPU(b)()
			i := 1 << 10
			for b.Loop() {
				i++
				get(i)
			}
		})
	}
}
