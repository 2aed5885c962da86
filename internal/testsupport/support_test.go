package testsupport

import (
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

func TestClockStandsStillUntilAdvanced(t *testing.T) {
	c := NewClock()
	if a, b := c.Now(), c.Now(); !a.Equal(b) || !a.Equal(Epoch) {
		t.Fatalf("readings %v, %v; want both %v", a, b, Epoch)
	}
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(Epoch.Add(90 * time.Second)) {
		t.Fatalf("after Advance: %v", got)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(at)
	if got := c.UnixNano(); got != at.UnixNano() {
		t.Fatalf("UnixNano %d, want %d", got, at.UnixNano())
	}
}

func TestTickingClockIncreasesOnEveryReading(t *testing.T) {
	c := NewClockAt(Epoch).Ticking(time.Millisecond)
	a, b := c.Now(), c.Now()
	if b.Sub(a) != time.Millisecond || a.Sub(Epoch) != time.Millisecond {
		t.Fatalf("readings %v then %v from %v; want 1ms steps", a, b, Epoch)
	}
}

func TestEventsWaitForConcurrentEmitters(t *testing.T) {
	r := NewEvents()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a := secevent.ActionSignInFailed
			if i%2 == 0 {
				a = secevent.ActionRateLimited
			}
			r.Emit(secevent.Event{Action: a})
		}(i)
	}
	if got := r.Wait(t, 8); len(got) != 8 {
		t.Fatalf("Wait returned %d events", len(got))
	}
	wg.Wait()
	if n := len(r.Of(secevent.ActionRateLimited)); n != 4 {
		t.Fatalf("%d rate_limited events, want 4", n)
	}
	if n := r.Count(secevent.ActionSignInFailed, ""); n != 4 {
		t.Fatalf("Count: %d sign_in_failed events, want 4", n)
	}
	r.Emit(secevent.Event{Action: secevent.ActionAccountLocked, Reason: "locked"})
	if r.Count(secevent.ActionAccountLocked, "hard_locked") != 0 || r.Count(secevent.ActionAccountLocked, "locked") != 1 {
		t.Fatal("Count does not tell reasons apart")
	}
	if acts := r.Actions(); len(acts) != 9 || acts[8] != secevent.ActionAccountLocked {
		t.Fatalf("Actions: %v", acts)
	}
	if e, ok := r.Last(secevent.ActionAccountLocked); !ok || e.Reason != "locked" {
		t.Fatalf("Last: %+v %v", e, ok)
	}
	if _, ok := r.Last(secevent.ActionSignOut); ok {
		t.Fatal("Last found an action never emitted")
	}
	r.Reset()
	if n := len(r.All()); n != 0 {
		t.Fatalf("%d events after Reset", n)
	}
}

func TestLockedBufferKeepsEveryConcurrentWrite(t *testing.T) {
	var b LockedBuffer
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				_, _ = b.Write([]byte("ab"))
			}
		}()
	}
	wg.Wait()
	if got := b.String(); len(got) != 8*100*2 {
		t.Fatalf("%d bytes written, want %d", len(got), 8*100*2)
	}
}
