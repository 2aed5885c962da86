package headers

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
)

// ResponseWriter applies a Policy to one response. It supports Flush,
// Hijack (through Unwrap and http.ResponseController) and ReadFrom, so
// streaming, long-polling and websocket upgrades pass through untouched.
type ResponseWriter struct {
	http.ResponseWriter
	policy      *Policy
	nonce       string // a substring of the CSP value
	tls         bool
	vals        []string // values of policy.names for this request, then the request's CSP
	slots       uint8    // which per-request slots of policy.names are set (bit slotCSP, …)
	wroteHeader bool
	injector    *nonceInjector
	holdback    *holdbackWriter
	decoder     *heldBody // compressed HTML gathered until Close
	status      int       // status held back with decoder
	refused     bool      // upstream body replaced by a 502 refusal
}

// Nonce returns this response's CSP nonce ("" when the policy has none).
func (rw *ResponseWriter) Nonce() string { return rw.nonce }

// enforce sets the policy's headers on h, replacing upstream values, and
// strips the headers the policy removes. Prefix removal scans the whole
// map, so it is skipped before the upstream had a chance to add headers.
func (rw *ResponseWriter) enforce(h http.Header, scanPrefixes bool) {
	p := rw.policy
	for _, name := range p.removeExact {
		delete(h, name)
	}
	if scanPrefixes && len(p.removePrefixes) > 0 {
		for name := range h {
			for _, prefix := range p.removePrefixes {
				if strings.HasPrefix(name, prefix) {
					delete(h, name)
					break
				}
			}
		}
	}
	if p.cspHeader != "" {
		// Exactly one policy: ours. An upstream policy would be enforced
		// in addition to ours and could only break pages.
		delete(h, "Content-Security-Policy")
		delete(h, "Content-Security-Policy-Report-Only")
	}
	for i, name := range p.names {
		if i < firstField && rw.slots&(1<<i) == 0 {
			continue
		}
		h[name] = rw.vals[i : i+1 : i+1]
	}
}

// WriteHeader enforces the policy on the final header set and, on HTML
// that carries this request's nonce, makes the response private and starts
// nonce injection when the response needs it (see nonceHTML).
func (rw *ResponseWriter) WriteHeader(status int) {
	if rw.wroteHeader {
		rw.ResponseWriter.WriteHeader(status)
		return
	}
	h := rw.ResponseWriter.Header()
	if status >= 200 || status == http.StatusSwitchingProtocols {
		rw.wroteHeader = true
		if rw.policy.opts.HardenCookies {
			hardenCookies(h, rw.tls)
		}
		if rw.nonce != "" && isHTML(h) && rw.nonceHTML(h, status) {
			// The body is held until Close (compressed upstream HTML) or
			// replaced by a refusal: the status is written later.
			return
		}
	}
	rw.enforce(h, true)
	rw.ResponseWriter.WriteHeader(status)
}

// Write writes body bytes, injecting the nonce when needed.
func (rw *ResponseWriter) Write(b []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	switch {
	case rw.refused:
		// A refusal was written in place of this body.
		return len(b), nil
	case rw.decoder != nil:
		return rw.decoder.Write(b)
	case rw.injector != nil:
		return rw.injector.Write(b)
	}
	return rw.ResponseWriter.Write(b)
}

// ReadFrom lets io.Copy use the underlying writer's fast path (sendfile)
// when the body is not rewritten.
func (rw *ResponseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rf, ok := rw.ResponseWriter.(io.ReaderFrom); ok && rw.injector == nil && rw.decoder == nil {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{rw}, r)
}

// Flush sends buffered data to the client. While a rewritten body is still
// held back (see holdbackWriter) it does nothing.
func (rw *ResponseWriter) Flush() {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.decoder != nil || (rw.holdback != nil && !rw.holdback.passed) {
		return
	}
	_ = http.NewResponseController(rw.ResponseWriter).Flush()
}

// Close writes out any body bytes still held back: the rest of a rewritten
// body, or the whole of a compressed one, decoded and rewritten. Call it
// once the next handler has returned.
func (rw *ResponseWriter) Close() error {
	if rw.decoder != nil {
		return rw.finishDecoded()
	}
	if rw.holdback == nil {
		return nil
	}
	if err := rw.injector.Close(); err != nil {
		return err
	}
	return rw.holdback.release()
}

// Release returns rw to its policy for reuse by a later request. Call it
// at most once, after Close, when no handler holds rw any more. The header
// values rw set stay valid (they are never reused). Without Release, rw is
// garbage collected as usual.
func (rw *ResponseWriter) Release() {
	p := rw.policy
	if p == nil {
		return
	}
	*rw = ResponseWriter{}
	p.writers.Put(rw)
}

// Hijack hands the connection over, for protocols such as WebSocket.
func (rw *ResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(rw.ResponseWriter).Hijack()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (rw *ResponseWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// writerOnly hides ReadFrom so io.Copy does not recurse.
type writerOnly struct{ io.Writer }

// holdbackSize is how many bytes of a rewritten body are gathered before the
// first write: a response compressor (Caddy's encode) decides on its first
// write whether the body is long enough to compress, and a rewritten body
// has no Content-Length to tell it.
const holdbackSize = 1024

// holdbackWriter gathers the first holdbackSize bytes, then writes through.
type holdbackWriter struct {
	w      io.Writer
	buf    []byte
	passed bool
}

func (h *holdbackWriter) Write(p []byte) (int, error) {
	if h.passed {
		return h.w.Write(p)
	}
	h.buf = append(h.buf, p...)
	if len(h.buf) < holdbackSize {
		return len(p), nil
	}
	if err := h.release(); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *holdbackWriter) release() error {
	if h.passed {
		return nil
	}
	h.passed = true
	if len(h.buf) == 0 {
		return nil
	}
	_, err := h.w.Write(h.buf)
	h.buf = nil
	return err
}
