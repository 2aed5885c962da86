package modkit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TestForwardRecordingStatus: the status a client sees is the first final
// status written, an implicit 200, or the one a handler error carries; the
// writer keeps Flush through http.ResponseController.
func TestForwardRecordingStatus(t *testing.T) {
	serve := func(next caddyhttp.HandlerFunc) (*httptest.ResponseRecorder, int) {
		rec := httptest.NewRecorder()
		status, _ := ForwardRecordingStatus(rec, httptest.NewRequest(http.MethodGet, "/", nil), next)
		return rec, status
	}
	expect := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: status %d, want %d", what, got, want)
		}
	}
	_, s := serve(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusEarlyHints) // informational: not the answer
		w.WriteHeader(http.StatusNotFound)
		w.WriteHeader(http.StatusTeapot) // superfluous
		return nil
	})
	expect("written", s, http.StatusNotFound)
	_, s = serve(func(w http.ResponseWriter, _ *http.Request) error { _, err := w.Write([]byte("hi")); return err })
	expect("implicit", s, http.StatusOK)
	_, s = serve(func(http.ResponseWriter, *http.Request) error { return nil })
	expect("nothing written", s, http.StatusOK)
	rec, s := serve(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusAccepted)
		return http.NewResponseController(w).Flush()
	})
	expect("flushed", s, http.StatusAccepted)
	if !rec.Flushed {
		t.Error("Flush did not reach the underlying writer")
	}
	_, s = serve(func(http.ResponseWriter, *http.Request) error {
		return caddyhttp.Error(http.StatusBadGateway, errors.New("upstream down"))
	})
	expect("handler error", s, http.StatusBadGateway)
	_, s = serve(func(http.ResponseWriter, *http.Request) error { return errors.New("boom") })
	expect("plain error", s, http.StatusInternalServerError)
}
