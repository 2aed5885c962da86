package lockout

import (
	"context"
	"testing"
	"time"
)

func TestLockoutListDeviceState(t *testing.T) { forEachStore(t, testLockoutListDeviceState) }

// testLockoutListDeviceState: List sums each account's device records
// (met in any order during the scan) into its entry, and lists an
// account whose only trouble is a locked or distrusted device.
func testLockoutListDeviceState(t *testing.T, kind storeKind) {
	const hardLimit = DefaultDeviceFailures + 1
	r := newRig(t, kind, func(o *LockoutOptions) { o.HardLimit = hardLimit })
	ctx := context.Background()
	fail := func(email, cookie string, n int) {
		t.Helper()
		for range n {
			if adm, _ := r.mustAdmit(SignInAttempt{Email: email, IP: ipB, DeviceCookie: cookie}, OutcomeFailure); !adm.Trusted {
				t.Fatalf("%s: a device failure not trusted", email)
			}
		}
	}

	// distrusted: one device past the hard limit of consecutive failures
	// (its lock long over).
	dist := "distrusted@example.com"
	dc := r.deviceCookie(dist, ipA)
	fail(dist, dc, DefaultDeviceFailures)
	r.clock.Advance(DefaultDeviceWindow)
	fail(dist, dc, 1)
	r.clock.Advance(time.Minute)

	// devices: two devices, one locked, one with a failure; no untrusted
	// failure.
	devs := "devices@example.com"
	c1, c2 := r.deviceCookie(devs, ipA), r.deviceCookie(devs, ipA)
	fail(devs, c1, DefaultDeviceFailures)
	fail(devs, c2, 1)
	r.clock.Advance(time.Minute)
	// mixed: an untrusted lock and a device with a failure.
	mixed := "mixed@example.com"
	c3 := r.deviceCookie(mixed, ipA)
	r.lockAccount(mixed, ipA)
	fail(mixed, c3, 2)
	// quiet: a device with failures but no lock: not listed.
	quiet := "quiet@example.com"
	fail(quiet, r.deviceCookie(quiet, ipA), DefaultDeviceFailures-1)

	list, err := r.l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]LockoutEntry{}
	for _, e := range list {
		byKey[e.Key] = e
	}
	if len(list) != 3 || len(byKey) != 3 {
		t.Fatalf("List: %+v, want 3 accounts", list)
	}
	if _, ok := byKey[r.l.AccountKey(quiet)]; ok {
		t.Fatal("an account with an unlocked, trusted device listed")
	}
	e := byKey[r.l.AccountKey(devs)]
	if e.Devices != 2 || e.DevicesLocked != 1 || e.DevicesDistrusted != 0 || e.Failures != 0 || e.HardLocked || !e.LockedUntil.IsZero() {
		t.Fatalf("devices entry: %+v", e)
	}
	e = byKey[r.l.AccountKey(mixed)]
	if e.Devices != 1 || e.DevicesLocked != 0 || e.DevicesDistrusted != 0 || e.Failures != DefaultFreeFailures || e.LockedUntil.IsZero() {
		t.Fatalf("mixed entry: %+v", e)
	}
	e = byKey[r.l.AccountKey(dist)]
	if e.Devices != 1 || e.DevicesLocked != 0 || e.DevicesDistrusted != 1 || e.Failures != 0 {
		t.Fatalf("distrusted entry: %+v", e)
	}
	// The most recent failure first: mixed's device failed last, the
	// distrusted device first.
	if list[0].Key != r.l.AccountKey(mixed) || list[2].Key != r.l.AccountKey(dist) {
		t.Fatalf("order: %+v", list)
	}

	// The device lock ends with its window: devices is no longer listed.
	r.clock.Advance(DefaultDeviceWindow)
	list, err = r.l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.Key == r.l.AccountKey(devs) {
			t.Fatalf("after the device lock: %+v still listed", e)
		}
	}
}
