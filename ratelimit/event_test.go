package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// The event of a refused decision names exactly the zones that refused.
func TestDecisionEventNamesTheRefusingZones(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	l, _ := newLimiter(t, clk,
		Zone{Name: "tight", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyClientIP}}},
		Zone{Name: "loose", Rate: mustRate("100/1m"), Key: []KeySource{{Kind: KeyClientIP}}})
	if d := decide(t, l, signIn("192.0.2.1", "")); !d.Allowed {
		t.Fatal("the first request was refused")
	}
	d := decide(t, l, signIn("192.0.2.1", ""))
	if d.Allowed {
		t.Fatal("the second request was admitted by a 1/1m zone")
	}
	e := d.Event()
	if e.Action != secevent.ActionRateLimited || e.Status != http.StatusTooManyRequests || e.Reason != "RATE_LIMITED" || e.Labels["zone"] != "tight" {
		t.Fatalf("%+v", e)
	}
}
