package origin

import (
	"io"
	"net/http"
	"strings"
)

// filterWriter settles the CORS headers of a forwarded request's response
// when its header is written, without touching or buffering the body.
// Flush and Hijack reach the underlying writer through Unwrap (and
// http.ResponseController), so streaming, long-polling and websocket
// upgrades pass through.
type filterWriter struct {
	http.ResponseWriter
	p *Policy
	// origin is the request's Origin when it is a listed (allowed,
	// cross-origin) one: the only origin that may be granted.
	origin string
	done   bool
}

// settle grants CORS to a listed origin (exact origin echoed, credentials
// unless turned off) and otherwise removes every Access-Control-Allow-*
// header the app set.
func (f *filterWriter) settle() {
	h := f.ResponseWriter.Header()
	if f.origin != "" {
		h.Set("Access-Control-Allow-Origin", f.origin)
		if f.p.cfg.NoCredentials {
			delete(h, "Access-Control-Allow-Credentials")
		} else {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	} else {
		for name := range h {
			if len(name) > len("Access-Control-Allow-") && strings.EqualFold(name[:len("Access-Control-Allow-")], "Access-Control-Allow-") {
				delete(h, name)
			}
		}
	}
	if len(f.p.allowed) > 0 {
		addVary(h, "Origin")
	}
}

// addVary adds a field name to Vary unless it is there already.
func addVary(h http.Header, name string) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}

// WriteHeader settles the headers of every header block sent (1xx
// interim ones included) and passes the status on.
func (f *filterWriter) WriteHeader(code int) {
	if !f.done {
		f.settle()
		if code >= 200 || code == http.StatusSwitchingProtocols {
			f.done = true
		}
	}
	f.ResponseWriter.WriteHeader(code)
}

// Write settles the headers before the first body bytes.
func (f *filterWriter) Write(b []byte) (int, error) {
	if !f.done {
		f.settle()
		f.done = true
	}
	return f.ResponseWriter.Write(b)
}

// ReadFrom settles the headers and hands the copy to the underlying
// writer, keeping its fast paths (sendfile).
func (f *filterWriter) ReadFrom(r io.Reader) (int64, error) {
	if !f.done {
		f.settle()
		f.done = true
	}
	if rf, ok := f.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{f.ResponseWriter}, r)
}

// writerOnly hides every method but Write, so io.Copy cannot loop back
// into ReadFrom.
type writerOnly struct{ io.Writer }

// Flush settles the headers (a flush sends them) and flushes.
func (f *filterWriter) Flush() {
	if !f.done {
		f.settle()
		f.done = true
	}
	_ = http.NewResponseController(f.ResponseWriter).Flush()
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (f *filterWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }
