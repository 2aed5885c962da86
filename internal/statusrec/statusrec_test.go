package statusrec

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriterRecordsWhatTheClientSees(t *testing.T) {
	for _, tc := range []struct {
		name  string
		serve func(w http.ResponseWriter)
		want  int
	}{
		{"nothing written", func(http.ResponseWriter) {}, 200},
		{"body only", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, 200},
		{"status", func(w http.ResponseWriter) { w.WriteHeader(403) }, 403},
		{"1xx then final", func(w http.ResponseWriter) { w.WriteHeader(103); w.WriteHeader(404) }, 404},
		{"second status ignored", func(w http.ResponseWriter) { w.WriteHeader(201); w.WriteHeader(500) }, 201},
		{"body then status", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")); w.WriteHeader(500) }, 200},
	} {
		rec := httptest.NewRecorder()
		w := &Writer{ResponseWriter: rec}
		tc.serve(w)
		if got := w.Status.OrOK(); got != tc.want {
			t.Errorf("%s: recorded %d, want %d", tc.name, got, tc.want)
		}
		if w.Unwrap() != rec {
			t.Errorf("%s: Unwrap does not reach the wrapped writer", tc.name)
		}
	}
}
