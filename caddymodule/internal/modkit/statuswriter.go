package modkit

import (
	"net/http"
	"sync"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// statusWriter is the edge's one status-recording writer: it remembers the
// first final status written through it and passes everything on. Through
// caddyhttp.ResponseWriterWrapper it keeps Flush, Hijack, Push, ReadFrom
// and Unwrap (for http.ResponseController) of the writer it wraps.
type statusWriter struct {
	caddyhttp.ResponseWriterWrapper
	status int
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// WriteHeader records the first final status; 1xx answers are not it.
func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriterWrapper.WriteHeader(code)
}

// Write records an implicit 200 when nothing was written before.
func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriterWrapper.Write(b)
}

// ForwardRecordingStatus serves r with next through a pooled statusWriter
// and returns the status the client sees (see handlerStatus) with next's
// error. The writer goes back to the pool once next has returned.
func ForwardRecordingStatus(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (int, error) {
	sw := statusWriters.Get().(*statusWriter)
	sw.ResponseWriter, sw.status = w, 0
	err := next.ServeHTTP(sw, r)
	status := handlerStatus(sw.status, err)
	sw.ResponseWriter = nil
	statusWriters.Put(sw)
	return status, err
}

// handlerStatus is the status a client sees: the one written, the one an
// error carries (handle_errors writes it later), or 200.
func handlerStatus(written int, err error) int {
	if err != nil {
		if he, ok := err.(caddyhttp.HandlerError); ok && he.StatusCode != 0 {
			return he.StatusCode
		}
		return http.StatusInternalServerError
	}
	if written == 0 {
		return http.StatusOK
	}
	return written
}
