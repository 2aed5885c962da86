package plainnext

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestNext: the wrapped handler answers, and the chain step reports no
// error.
func TestNext(t *testing.T) {
	n := Next{H: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })}
	w := httptest.NewRecorder()
	if err := n.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil)); err != nil || w.Code != http.StatusTeapot {
		t.Fatalf("status %d, err %v", w.Code, err)
	}
}
