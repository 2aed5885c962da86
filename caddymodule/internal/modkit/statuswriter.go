package modkit

import (
	"net/http"
	"sync"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/internal/statusrec"
)

// statusWriter is the adapters' status-recording writer: it records the
// status with the edge's one rule (statusrec.Status) and passes
// everything on. Through
// caddyhttp.ResponseWriterWrapper it keeps Flush, Hijack, Push, ReadFrom
// and Unwrap (for http.ResponseController) of the writer it wraps.
type statusWriter struct {
	caddyhttp.ResponseWriterWrapper
	status statusrec.Status
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// WriteHeader records the first final status; 1xx answers are not it.
func (s *statusWriter) WriteHeader(code int) {
	s.status.Header(code)
	s.ResponseWriterWrapper.WriteHeader(code)
}

// Write records an implicit 200 when nothing was written before.
func (s *statusWriter) Write(b []byte) (int, error) {
	s.status.Body()
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
func handlerStatus(written statusrec.Status, err error) int {
	if err != nil {
		if he, ok := err.(caddyhttp.HandlerError); ok && he.StatusCode != 0 {
			return he.StatusCode
		}
		return http.StatusInternalServerError
	}
	return written.OrOK()
}
