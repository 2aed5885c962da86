package caddymodule

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
	for _, tc := range []struct {
		name string
		next caddyhttp.HandlerFunc
		want int
	}{
		{"written", func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusNotFound)
			w.WriteHeader(http.StatusTeapot)
			return nil
		}, http.StatusNotFound},
		{"implicit", func(w http.ResponseWriter, _ *http.Request) error {
			_, err := w.Write([]byte("hi"))
			return err
		}, http.StatusOK},
		{"nothing", func(http.ResponseWriter, *http.Request) error { return nil }, http.StatusOK},
		{"flushed", func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusAccepted)
			return http.NewResponseController(w).Flush()
		}, http.StatusAccepted},
		{"handler error", func(http.ResponseWriter, *http.Request) error {
			return caddyhttp.Error(http.StatusBadGateway, errors.New("upstream down"))
		}, http.StatusBadGateway},
		{"plain error", func(http.ResponseWriter, *http.Request) error { return errors.New("boom") }, http.StatusInternalServerError},
	} {
		rec := httptest.NewRecorder()
		got, _ := forwardRecordingStatus(rec, httptest.NewRequest(http.MethodGet, "/", nil), tc.next)
		if got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
		if tc.name == "flushed" && !rec.Flushed {
			t.Errorf("flushed: Flush did not reach the underlying writer")
		}
	}
}
