package lockout

import (
	"encoding/hex"
	"net/http"
	"time"
)

// A recovery cookie is a signed cookie (see signedFormat) of version 2
// with a 16-byte nonce and its expiry, bound to nothing. It names no
// account (better-auth's reset answer carries none); single use is
// enforced in the store by the nonce.
var recoveryFormat = signedFormat{version: 2, nonceLen: 16}

// newRecoveryCookie issues a recovery cookie valid for maxAge.
func newRecoveryCookie(key []byte, now time.Time, maxAge time.Duration) (*http.Cookie, error) {
	v, err := recoveryFormat.issue(key, "", now.Add(maxAge))
	if err != nil {
		return nil, err
	}
	return guardCookie(RecoveryCookieName, v, int(maxAge/time.Second)), nil
}

// recoveryCookieValue encodes and signs a recovery cookie.
func recoveryCookieValue(key, nonce []byte, exp time.Time) string {
	return recoveryFormat.encode(key, "", nonce, exp)
}

// parseRecoveryCookie returns the nonce (hex) and expiry of a valid,
// unexpired recovery cookie.
func parseRecoveryCookie(key []byte, value string, now time.Time) (string, time.Time, bool) {
	nonce, exp, ok := recoveryFormat.open(key, "", value)
	if !ok || exp < 0 || now.Unix() >= exp {
		return "", time.Time{}, false
	}
	return hex.EncodeToString(nonce), time.Unix(exp, 0), true
}

// expiredRecoveryCookie removes the recovery cookie from the browser.
func expiredRecoveryCookie() *http.Cookie { return guardCookie(RecoveryCookieName, "", -1) }
