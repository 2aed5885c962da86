package lockout

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzRig is a locked account on a memory store whose clock stands still:
// every input is a cookie that must not open the lock. Fuzzing workers run
// the setup again, so seeds must not depend on its randomness.
func fuzzRig(f *testing.F) (*rig, string) {
	r := newRig(f, storeKinds[0])
	const email = "fuzz@example.com"
	r.lockAccount(email, ipA)
	return r, email
}

func flip(s string, i int) string {
	b := []byte(s)
	b[i%len(b)] ^= 1
	return string(b)
}

// FuzzDeviceCookie: no forged or garbled device cookie is trusted, opens
// the lock or panics.
func FuzzDeviceCookie(f *testing.F) {
	r, email := fuzzRig(f)
	key := r.l.keys.accountKey(email)
	// The genuine cookie is the same in every fuzzing process: a mutation
	// that flips a seed back to it is recognised (and skipped) everywhere.
	own := &http.Cookie{Value: deviceCookieValue(r.l.keys.device, key, []byte("fuzz-device!"), r.clock.Now())}
	other, _ := newDeviceCookie(r.l.keys.device, r.l.keys.accountKey("other@example.com"), r.clock.Now(), r.l.o.DeviceMaxAge)
	old, _ := newDeviceCookie(r.l.keys.device, key, r.clock.Now().Add(-r.l.o.DeviceMaxAge), r.l.o.DeviceMaxAge)
	future, _ := newDeviceCookie(r.l.keys.device, key, r.clock.Now().Add(time.Hour), r.l.o.DeviceMaxAge)
	rec, _ := newRecoveryCookie(r.l.keys.recovery, r.clock.Now(), time.Hour)
	for _, s := range []string{"", "x", other.Value, old.Value, future.Value, rec.Value, flip(own.Value, 3), flip(own.Value, 49),
		own.Value[:len(own.Value)-1], own.Value + "A", strings.ToUpper(own.Value), own.Value + "=", "%00" + own.Value[3:],
		other.Value + "." + flip(own.Value, 7), "..", other.Value + "." + old.Value + "." + future.Value + "." + flip(own.Value, 9)} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, v string) {
		if slices.Contains(deviceEntries(v), own.Value) {
			return // carries the one genuine entry
		}
		if _, ok := findDevice(r.l.keys.device, key, v, r.clock.Now(), r.l.o.DeviceMaxAge); ok {
			t.Fatalf("device cookie %q accepted", v)
		}
		if c, err := reissueDeviceCookie(r.l.keys.device, key, v, r.clock.Now(), r.l.o.DeviceMaxAge); err != nil || len(c.Value) > maxDeviceEntries*(deviceCookieLen+1) {
			t.Fatalf("reissue after %q: %v %d", v, err, len(c.Value))
		}
		adm, err := r.l.Begin(ctx, SignInAttempt{Email: email, IP: ipA, DeviceCookie: v})
		if err != nil {
			t.Fatal(err)
		}
		if adm.Admit || adm.Trusted {
			t.Fatalf("device cookie %q: %+v", v, adm)
		}
	})
}

// FuzzRecoveryCookie: no forged, garbled, expired or used recovery cookie
// opens the lock or panics.
func FuzzRecoveryCookie(f *testing.F) {
	r, email := fuzzRig(f)
	ctx := context.Background()
	// Deterministic, so that the fuzzing workers (each runs this setup)
	// agree with the coordinator on which cookie was used.
	used := &http.Cookie{Value: recoveryCookieValue(r.l.keys.recovery, []byte("fuzz-used-nonce!"), r.clock.Now().Add(time.Hour))}
	a := SignInAttempt{Email: email, IP: ipA, RecoveryCookie: used.Value}
	adm, err := r.l.Begin(ctx, a)
	if err != nil || !adm.Recovery {
		f.Fatalf("recovery: %+v %v", adm, err)
	}
	if _, err := r.l.Settle(ctx, a, adm, OutcomeFailure); err != nil {
		f.Fatal(err)
	}
	r.lockAccount("other@example.com", ipB)
	expired, _ := newRecoveryCookie(r.l.keys.recovery, r.clock.Now().Add(-2*time.Hour), time.Hour)
	dev, _ := newDeviceCookie(r.l.keys.device, r.l.keys.accountKey(email), r.clock.Now(), time.Hour)
	for _, s := range []string{"", "x", used.Value, expired.Value, dev.Value, flip(used.Value, 0), flip(used.Value, 54),
		used.Value[:len(used.Value)-1], used.Value + "A", strings.ToLower(used.Value)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if _, _, ok := parseRecoveryCookie(r.l.keys.recovery, v, r.clock.Now()); ok && v != used.Value {
			t.Fatalf("recovery cookie %q accepted", v)
		}
		adm, err := r.l.Begin(ctx, SignInAttempt{Email: email, IP: ipA, RecoveryCookie: v})
		if err != nil {
			t.Fatal(err)
		}
		if adm.Admit || adm.Recovery {
			t.Fatalf("recovery cookie %q: %+v", v, adm)
		}
	})
}
