package ratelimitfields

import (
	"net/http"
	"testing"
	"time"
)

func TestSet(t *testing.T) {
	h := http.Header{}
	Set(h,
		Policy{Name: "sign_in", Quota: 5, Window: time.Minute, Remaining: 0, Reset: 1500 * time.Millisecond},
		Policy{Name: `api"x`, Quota: 600, Window: time.Minute, Remaining: 599},
		Policy{Name: "hard", Quota: 100, Window: 24 * time.Hour, Reset: -1})
	if got, want := h.Get("RateLimit-Policy"), `"sign_in";q=5;w=60, "apix";q=600;w=60, "hard";q=100;w=86400`; got != want {
		t.Errorf("RateLimit-Policy %q, want %q", got, want)
	}
	if got, want := h.Get("RateLimit"), `"sign_in";r=0;t=2, "apix";r=599;t=0, "hard";r=0`; got != want {
		t.Errorf("RateLimit %q, want %q", got, want)
	}
	empty := http.Header{}
	Set(empty)
	Set(empty, Policy{})
	if len(empty) != 0 {
		t.Errorf("no policies set %v", empty)
	}
}
