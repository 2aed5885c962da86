package testsupport

import "net/http"

// DiscardWriter is an http.ResponseWriter that keeps the header map it is
// given and throws the rest away without allocating, so a benchmark or an
// allocation test measures the handler and not httptest's recorder.
type DiscardWriter struct {
	// H is the header map Header returns; the caller makes it.
	H http.Header
}

// Header returns w.H.
func (w *DiscardWriter) Header() http.Header { return w.H }

// Write reports b written and keeps nothing.
func (w *DiscardWriter) Write(b []byte) (int, error) { return len(b), nil }

// WriteHeader does nothing.
func (w *DiscardWriter) WriteHeader(int) {}
