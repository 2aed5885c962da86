package lockout

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// A device cookie (OWASP "device cookies") is base64url, unpadded, of
//
//	version (1) | nonce (12) | issued, unix seconds (8) | MAC (16)
//
// where MAC is the first 16 bytes of HMAC-SHA256 under the device-cookie
// key over the account key, version, nonce and issue time. The account is
// not in the cookie: the MAC only verifies against the account the sign-in
// names, so a cookie of another account is simply untrusted. The nonce
// names the device's own failure budget in the store. Decoding is strict:
// one cookie has one spelling.
const (
	deviceVersion   = 1
	deviceNonceLen  = 12
	deviceRawLen    = 1 + deviceNonceLen + 8 + 16
	deviceCookieLen = (deviceRawLen*8 + 5) / 6
	// cookieSkew tolerates clocks of instances a little apart.
	cookieSkew = 5 * time.Minute
)

// deviceMAC computes the MAC of a device cookie body for an account.
func deviceMAC(key []byte, account string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(account))
	m.Write(body)
	return m.Sum(nil)[:16]
}

// newDeviceCookie issues a fresh device cookie for account.
func newDeviceCookie(key []byte, account string, now time.Time, maxAge time.Duration) (*http.Cookie, error) {
	nonce := make([]byte, deviceNonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return &http.Cookie{
		Name:     DeviceCookieName,
		Value:    deviceCookieValue(key, account, nonce, now),
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}, nil
}

// deviceCookieValue encodes and signs a device cookie.
func deviceCookieValue(key []byte, account string, nonce []byte, issued time.Time) string {
	raw := make([]byte, deviceRawLen)
	raw[0] = deviceVersion
	copy(raw[1:1+deviceNonceLen], nonce)
	binary.BigEndian.PutUint64(raw[1+deviceNonceLen:], uint64(issued.Unix()))
	copy(raw[deviceRawLen-16:], deviceMAC(key, account, raw[:deviceRawLen-16]))
	return base64.RawURLEncoding.EncodeToString(raw)
}

// parseDeviceCookie returns the device id (hex nonce) of value when it is
// a device cookie of account, signed with key and not expired.
func parseDeviceCookie(key []byte, account, value string, now time.Time, maxAge time.Duration) (string, bool) {
	if len(value) != deviceCookieLen {
		return "", false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(raw) != deviceRawLen || raw[0] != deviceVersion {
		return "", false
	}
	if !hmac.Equal(raw[deviceRawLen-16:], deviceMAC(key, account, raw[:deviceRawLen-16])) {
		return "", false
	}
	issued := int64(binary.BigEndian.Uint64(raw[1+deviceNonceLen:]))
	if issued < 0 || issued > now.Add(cookieSkew).Unix() || now.Unix()-issued >= int64(maxAge/time.Second) {
		return "", false
	}
	return hex.EncodeToString(raw[1 : 1+deviceNonceLen]), true
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
	if len(e) != deviceCookieLen {
		return false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(e)
	if err != nil || len(raw) != deviceRawLen || raw[0] != deviceVersion {
		return false
	}
	issued := int64(binary.BigEndian.Uint64(raw[1+deviceNonceLen:]))
	return issued >= 0 && issued <= now.Add(cookieSkew).Unix() && now.Unix()-issued < int64(maxAge/time.Second)
}
