package consolemod

import (
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

// The breaker finding follows the rate limiter's store_fallback gauge.
func TestConsoleBreakerFinding(t *testing.T) {
	defer modkit.RateLimitStoreFallback.Set(0)
	modkit.RateLimitStoreFallback.Set(0)
	if f := breakerFinding(); f.Status != "ok" || !strings.HasPrefix(f.Detail, "closed") {
		t.Errorf("closed: %+v", f)
	}
	modkit.RateLimitStoreFallback.Set(1)
	if f := breakerFinding(); f.Status != "fail" || !strings.HasPrefix(f.Detail, "open") {
		t.Errorf("open: %+v", f)
	}
}
