package apierror

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	w := httptest.NewRecorder()
	Write(w, 429, "RATE_LIMITED", "Too many requests.", 20)
	var b Body
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if w.Code != 429 || b.Code != "RATE_LIMITED" || b.Message != "Too many requests." || b.Error != b.Message || b.RetryAfter != 20 {
		t.Fatalf("%d %+v", w.Code, b)
	}
	if w.Header().Get("Retry-After") != "20" || w.Header().Get("X-Retry-After") != "20" || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", w.Header())
	}
	w = httptest.NewRecorder()
	Write(w, 400, "INVALID_REPORT", "bad", 0)
	if w.Header().Get("Retry-After") != "" || json.Valid(w.Body.Bytes()) == false {
		t.Fatalf("no retry: headers %v body %s", w.Header(), w.Body)
	}
	var m map[string]any
	json.Unmarshal(w.Body.Bytes(), &m)
	if _, ok := m["retryAfter"]; ok {
		t.Fatal("retryAfter sent without a wait")
	}
}
