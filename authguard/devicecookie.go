package authguard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
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
// names the device's own failure budget in the store.
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
	raw := make([]byte, deviceRawLen)
	raw[0] = deviceVersion
	if _, err := rand.Read(raw[1 : 1+deviceNonceLen]); err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint64(raw[1+deviceNonceLen:], uint64(now.Unix()))
	copy(raw[deviceRawLen-16:], deviceMAC(key, account, raw[:deviceRawLen-16]))
	return &http.Cookie{
		Name:     DeviceCookieName,
		Value:    base64.RawURLEncoding.EncodeToString(raw),
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}, nil
}

// parseDeviceCookie returns the device id (hex nonce) of value when it is
// a device cookie of account, signed with key and not expired.
func parseDeviceCookie(key []byte, account, value string, now time.Time, maxAge time.Duration) (string, bool) {
	if len(value) != deviceCookieLen {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
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
