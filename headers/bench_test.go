package headers

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// BenchmarkPolicyPerRequest is the headers handler's cost per request: a
// nonce, the CSP built for the request, the request header replaced and the
// response headers set and enforced at WriteHeader.
func BenchmarkPolicyPerRequest(b *testing.B) {
	benchmarkPolicyPerRequest(b, false)
}

// BenchmarkPolicyPerRequestReleased is the same as the Caddy adapter runs
// it: Close, then Release so the next request reuses the writer.
func BenchmarkPolicyPerRequestReleased(b *testing.B) {
	benchmarkPolicyPerRequest(b, true)
}

// benchmarkPolicyPerRequest runs Begin and WriteHeader on a plain GET, and
// with release Close and Release after each.
func benchmarkPolicyPerRequest(b *testing.B, release bool) {
	p := mustBuild(b, mustPreset(b, "ocomms"))
	r := newRequest(b, "GET", "https://chat.example/")
	w := &testsupport.DiscardWriter{H: make(http.Header, 32)}
	b.ReportAllocs()
	b.ResetTimer()
	defer testsupport.ReportCPU(b)()
	for i := 0; i < b.N; i++ {
		clear(w.H)
		rw := p.Begin(w, r)
		rw.WriteHeader(http.StatusOK)
		if release {
			rw.Close()
			rw.Release()
		}
	}
}

// BenchmarkStaticHeaders is the baseline: the same number of fixed header
// values set on a response, as a static header directive would.
func BenchmarkStaticHeaders(b *testing.B) {
	o := mustPreset(b, "ocomms")
	csp := strings.ReplaceAll(strings.ReplaceAll(o.CSP.String(), NonceToken, "'nonce-fixed'"), HostToken, "chat.example")
	w := &testsupport.DiscardWriter{H: make(http.Header, 32)}
	b.ReportAllocs()
	b.ResetTimer()
	defer testsupport.ReportCPU(b)()
	for i := 0; i < b.N; i++ {
		clear(w.H)
		w.H.Set("Content-Security-Policy", csp)
		w.H.Set("Strict-Transport-Security", o.HSTS)
		for _, f := range o.Set {
			w.H.Set(f.Name, f.Value)
		}
		w.H.Del("Server")
		w.H.Del("X-Powered-By")
	}
}

// BenchmarkNonce is the cost of one 128-bit nonce.
func BenchmarkNonce(b *testing.B) {
	b.ReportAllocs()
	defer testsupport.ReportCPU(b)()
	for i := 0; i < b.N; i++ {
		_ = NewNonce()
	}
}

// BenchmarkInjector streams a 64 KiB prerendered page through the nonce
// injector in 4 KiB chunks.
func BenchmarkInjector(b *testing.B) {
	page := benchPage()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		in := newNonceInjector(io.Discard, "abcdefghijklmnopqrstuv")
		for off := 0; off < len(page); off += 4096 {
			in.Write(page[off:min(off+4096, len(page))])
		}
	}
}

// BenchmarkNotFoundPage is a prerendered 404 page (issue 13) through the
// whole response path: Begin, the 404 status decided on, 64 KiB of HTML in
// 4 KiB chunks rewritten, Close.
func BenchmarkNotFoundPage(b *testing.B) {
	benchmarkNoncePage(b, false)
}

// BenchmarkNotFoundPageGzip is the same page arriving gzip-compressed from
// an app that compresses itself: gathered, decoded and rewritten.
func BenchmarkNotFoundPageGzip(b *testing.B) {
	benchmarkNoncePage(b, true)
}

func benchmarkNoncePage(b *testing.B, gz bool) {
	p := mustBuild(b, mustPreset(b, "ocomms"))
	page := benchPage()
	body := page
	if gz {
		body = compress(b, "gzip", page)
	}
	r := newRequest(b, "GET", "https://chat.example/nope")
	w := &testsupport.DiscardWriter{H: make(http.Header, 32)}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.H)
		rw := p.Begin(w, r)
		w.H.Set("Content-Type", "text/html; charset=utf-8")
		w.H.Set("X-Nextjs-Prerender", "1")
		if gz {
			w.H.Set("Content-Encoding", "gzip")
		}
		rw.WriteHeader(http.StatusNotFound)
		for off := 0; off < len(body); off += 4096 {
			rw.Write(body[off:min(off+4096, len(body))])
		}
		rw.Close()
	}
}

// benchPage is 64 KiB of a prerendered page: scripts and preload links
// for the injector to give a nonce, in a stream of other markup.
func benchPage() []byte {
	return []byte(strings.Repeat(`<div class="x"><p>Hello</p><script>self.__next_f.push([1,"abc"])</script><link rel="preload" href="/a.js" as="script"></div>`, 512))[:64<<10]
}
