package accessmod_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// appUpstream answers 200 "app", with the response headers given as
// name, value pairs, and counts the requests that reached it.
func appUpstream(t *testing.T, header ...string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		io.WriteString(w, "app")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}
