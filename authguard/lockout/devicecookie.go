package lockout

import (
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// A device cookie (OWASP "device cookies") is a signed cookie (see
// signedFormat) of version 1 with a 12-byte nonce and its issue time,
// bound to the account key. The account is not in the cookie: the MAC
// only verifies against the account the sign-in names, so a cookie of
// another account is simply untrusted. The nonce names the device's own
// failure budget in the store.
var deviceFormat = signedFormat{version: 1, nonceLen: 12}

// deviceCookieLen is the length of one device entry.
var deviceCookieLen = deviceFormat.textLen()

// cookieSkew tolerates clocks of instances a little apart.
const cookieSkew = 5 * time.Minute

// newDeviceCookie issues a fresh device cookie for account.
func newDeviceCookie(key []byte, account string, now time.Time, maxAge time.Duration) (*http.Cookie, error) {
	v, err := deviceFormat.issue(key, account, now)
	if err != nil {
		return nil, err
	}
	return guardCookie(DeviceCookieName, v, int(maxAge/time.Second)), nil
}

// deviceCookieValue encodes and signs a device cookie.
func deviceCookieValue(key []byte, account string, nonce []byte, issued time.Time) string {
	return deviceFormat.encode(key, account, nonce, issued)
}

// parseDeviceCookie returns the device id (hex nonce) of value when it is
// a device cookie of account, signed with key and not expired.
func parseDeviceCookie(key []byte, account, value string, now time.Time, maxAge time.Duration) (string, bool) {
	nonce, issued, ok := deviceFormat.open(key, account, value)
	if !ok || !deviceIssuedValid(issued, now, maxAge) {
		return "", false
	}
	return hex.EncodeToString(nonce), true
}

// deviceIssuedValid reports whether a device cookie issued then is still
// valid now: not from the future (beyond cookieSkew) nor older than maxAge.
func deviceIssuedValid(issued int64, now time.Time, maxAge time.Duration) bool {
	return issued >= 0 && issued <= now.Add(cookieSkew).Unix() && now.Unix()-issued < int64(maxAge/time.Second)
}

// One browser may sign in to several accounts (a shared computer, a second
// account): the cookie holds up to maxDeviceEntries device entries joined
// by ".", the newest first, one per account. An entry names no account, so
// an entry is matched by trying it against the account signing in.
const maxDeviceEntries = 3

// deviceEntries splits a cookie value into at most maxDeviceEntries
// entries (anything after them is ignored).
func deviceEntries(value string) []string {
	if value == "" {
		return nil
	}
	parts := strings.SplitN(value, ".", maxDeviceEntries+1)
	if len(parts) > maxDeviceEntries {
		parts = parts[:maxDeviceEntries]
	}
	return parts
}

// findDevice returns the device id of the first entry of value that is a
// valid device cookie of account.
func findDevice(key []byte, account, value string, now time.Time, maxAge time.Duration) (string, bool) {
	for _, e := range deviceEntries(value) {
		if dev, ok := parseDeviceCookie(key, account, e, now, maxAge); ok {
			return dev, true
		}
	}
	return "", false
}

// reissueDeviceCookie is the cookie after a success of account: a fresh
// entry first, then the entries of the old value that belong to other
// accounts (well-formed and unexpired; their MAC is checked when they are
// used), newest first, up to maxDeviceEntries.
func reissueDeviceCookie(key []byte, account, old string, now time.Time, maxAge time.Duration) (*http.Cookie, error) {
	c, err := newDeviceCookie(key, account, now, maxAge)
	if err != nil {
		return nil, err
	}
	kept := 1
	for _, e := range deviceEntries(old) {
		if kept >= maxDeviceEntries {
			break
		}
		if _, ok := parseDeviceCookie(key, account, e, now, maxAge); ok || !deviceShaped(e, now, maxAge) {
			continue
		}
		c.Value += "." + e
		kept++
	}
	return c, nil
}

// deviceShaped reports whether e looks like an unexpired device entry,
// without checking whose it is.
func deviceShaped(e string, now time.Time, maxAge time.Duration) bool {
	_, issued, ok := deviceFormat.split(e)
	return ok && deviceIssuedValid(issued, now, maxAge)
}
