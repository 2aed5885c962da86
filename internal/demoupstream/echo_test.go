package demoupstream

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEcho(t *testing.T) {
	h := New(Options{})
	tests := []struct {
		method, target, body string
		wantPath, wantQuery  string
	}{
		{http.MethodGet, "/__echo", "", "/__echo", ""},
		{http.MethodPost, "/__echo/a/b?x=1&y=%2F", "hello upstream", "/__echo/a/b", "x=1&y=%2F"},
		{http.MethodPut, "/__echo", strings.Repeat("z", 100000), "/__echo", ""},
		{http.MethodGet, "/__echo//double/../dots/%2e%2e/x", "", "/__echo//double/../dots/%2e%2e/x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			r.Host = "edge.example:8443"
			r.Header.Add("X-Forwarded-For", "203.0.113.9")
			r.Header.Add("X-Multi", "one")
			r.Header.Add("X-Multi", "two")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, content-type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			var got Echo
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(tt.body))
			if got.Method != tt.method || got.Path != tt.wantPath || got.Query != tt.wantQuery || got.Host != "edge.example:8443" {
				t.Errorf("echo %+v", got)
			}
			if got.BodySHA256 != hex.EncodeToString(sum[:]) || got.BodyLength != int64(len(tt.body)) {
				t.Errorf("body hash/length %s/%d, want %x/%d", got.BodySHA256, got.BodyLength, sum, len(tt.body))
			}
			if v := got.Headers["X-Multi"]; len(v) != 2 || v[1] != "two" || got.Headers["X-Forwarded-For"][0] != "203.0.113.9" {
				t.Errorf("headers %v", got.Headers)
			}
			if got.RemoteAddr == "" {
				t.Error("no remote address")
			}
		})
	}
}
