// Package statusrec holds the edge's one rule for the status of an
// answer as the client sees it: the first final (non-1xx) status written,
// or 200 when the body starts without one. Writer applies it to a plain
// net/http.ResponseWriter (adminaction's middleware); the Caddy adapters
// keep a Status under Caddy's own writer wrapper (modkit).
//
// It is at the net/http level and imports only the standard library.
package statusrec

import "net/http"

// Status is the status recorded so far; 0 until something was written.
type Status int

// Header records code if it is the first final status.
func (s *Status) Header(code int) {
	if *s == 0 && code >= 200 {
		*s = Status(code)
	}
}

// Body records the implicit 200 of a body written before any status.
func (s *Status) Body() {
	if *s == 0 {
		*s = http.StatusOK
	}
}

// OrOK is the recorded status, or 200 when nothing was written: a
// handler that wrote nothing answered 200.
func (s Status) OrOK() int {
	if s == 0 {
		return http.StatusOK
	}
	return int(s)
}

// Writer records the status written through it and passes everything on.
// Unwrap lets http.ResponseController reach Flush and Hijack.
type Writer struct {
	http.ResponseWriter
	Status Status
}

// WriteHeader records code (see Status.Header) and writes it.
func (w *Writer) WriteHeader(code int) {
	w.Status.Header(code)
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and writes b.
func (w *Writer) Write(b []byte) (int, error) {
	w.Status.Body()
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the wrapped writer.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
