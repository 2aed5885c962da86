package lockout

import (
	"testing"
	"time"
)

// TestSignedCookieFormatsStable pins the bytes of both cookie formats:
// cookies issued by an earlier release must still verify after an
// upgrade. The values were issued by the format's first implementation.
func TestSignedCookieFormatsStable(t *testing.T) {
	k := newLockKeyer(testSecret)
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	acct := k.accountKey("a@x.io")
	const device = "AW5vbmNlLTEyYnl0ZQAAAABrDg4ASohlPPSGp38nLuhMPtaYBg"
	const recovery = "Am5vbmNlLTE2LWJ5dGVzISEAAAAAaw4cEEgfmIANfls0G-n7jeK_53w"
	if got := deviceCookieValue(k.device, acct, []byte("nonce-12byte"), at); got != device {
		t.Errorf("device cookie %q, want %q", got, device)
	}
	if got := recoveryCookieValue(k.recovery, []byte("nonce-16-bytes!!"), at.Add(time.Hour)); got != recovery {
		t.Errorf("recovery cookie %q, want %q", got, recovery)
	}
	if dev, ok := parseDeviceCookie(k.device, acct, device, at, time.Hour); !ok || dev != "6e6f6e63652d313262797465" {
		t.Errorf("device cookie parses as %q %v", dev, ok)
	}
	if nonce, exp, ok := parseRecoveryCookie(k.recovery, recovery, at); !ok || nonce != "6e6f6e63652d31362d627974657321"+"21" || !exp.Equal(at.Add(time.Hour)) {
		t.Errorf("recovery cookie parses as %q %v %v", nonce, exp, ok)
	}
	// Neither kind opens as the other, nor under the other's key, nor for
	// another account.
	if _, ok := parseDeviceCookie(k.device, k.accountKey("b@x.io"), device, at, time.Hour); ok {
		t.Error("device cookie accepted for another account")
	}
	if _, _, ok := recoveryFormat.open(k.device, acct, device); ok {
		t.Error("device cookie opens as a recovery cookie")
	}
	if _, _, ok := deviceFormat.open(k.recovery, "", recovery); ok {
		t.Error("recovery cookie opens as a device cookie")
	}
}
