package authguard

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// outcomeWriter watches the app's answer to a guarded request. Just before
// the header goes out it calls decide, which may add headers (the lockout
// engine's cookies); when deciding needs the error code from the body
// (needBody), it holds the header and up to answerBodyLimit bytes of body
// back until it has them. Everything else streams through. It keeps Flush,
// Hijack (through Unwrap and http.ResponseController) and ReadFrom.
type outcomeWriter struct {
	http.ResponseWriter
	needBody func(status int, h http.Header) bool
	decide   func(status int, h http.Header, body []byte)

	status      int
	wroteHeader bool
	held        bool
	// capture keeps the first answerBodyLimit bytes of a body that was not
	// held, for reading fields after the fact (user.id on a success).
	capture bool
	buf     []byte
}

// WriteHeader decides, or holds the header back when the body is needed.
func (w *outcomeWriter) WriteHeader(code int) {
	if w.wroteHeader || w.held {
		return // superfluous call: keep the first status, as net/http does
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // 1xx informational: not the answer
		return
	}
	w.status = code
	if w.needBody != nil && w.needBody(code, w.Header()) {
		w.held = true
		return
	}
	w.sendHeader(nil)
}

func (w *outcomeWriter) sendHeader(body []byte) {
	w.wroteHeader = true
	if w.decide != nil {
		w.decide(w.status, w.Header(), body)
	}
	w.ResponseWriter.WriteHeader(w.status)
}

// Write passes body bytes on, holding them while the header is held.
func (w *outcomeWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader && !w.held {
		w.WriteHeader(http.StatusOK)
	}
	if w.held {
		w.buf = append(w.buf, p...)
		if len(w.buf) > answerBodyLimit {
			if err := w.release(); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	if w.capture && len(w.buf) < answerBodyLimit {
		n := min(len(p), answerBodyLimit-len(w.buf))
		w.buf = append(w.buf, p[:n]...)
	}
	return w.ResponseWriter.Write(p)
}

// release decides on what was held and writes it out.
func (w *outcomeWriter) release() error {
	if !w.held {
		return nil
	}
	w.held = false
	w.sendHeader(w.buf)
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.ResponseWriter.Write(w.buf)
	return err
}

// finish is called once the next handler returned: a held answer goes out.
func (w *outcomeWriter) finish() error { return w.release() }

// done is called with the error the next handler returned: it finishes
// the answer and returns the status the client got (the one the chain's
// error will be answered with when nothing was written) and the first
// error.
func (w *outcomeWriter) done(err error) (int, error) {
	if ferr := w.finish(); err == nil {
		err = ferr
	}
	if !w.wroteHeader {
		return errorStatus(err), err
	}
	return w.status, err
}

// ReadFrom keeps the underlying writer's fast path when nothing is held or
// captured.
func (w *outcomeWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader && !w.held {
		w.WriteHeader(http.StatusOK)
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok && !w.held && (!w.capture || len(w.buf) >= answerBodyLimit) {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{w}, r)
}

// Flush sends buffered data on; while the answer is held it does nothing.
func (w *outcomeWriter) Flush() {
	if !w.wroteHeader && !w.held {
		w.WriteHeader(http.StatusOK)
	}
	if w.held {
		return
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over, for protocols such as WebSocket.
func (w *outcomeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *outcomeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writerOnly hides ReadFrom so io.Copy does not recurse.
type writerOnly struct{ io.Writer }
