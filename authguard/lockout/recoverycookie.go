package lockout

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

// A recovery cookie is base64url, unpadded, of
//
//	version (2) | nonce (16) | expires, unix seconds (8) | MAC (16)
//
// with MAC the first 16 bytes of HMAC-SHA256 under the recovery-cookie key
// over the rest. It names no account (better-auth's reset answer carries
// none); single use is enforced in the store by the nonce.
const (
	recoveryVersion   = 2
	recoveryNonceLen  = 16
	recoveryRawLen    = 1 + recoveryNonceLen + 8 + 16
	recoveryCookieLen = (recoveryRawLen*8 + 5) / 6
)

func recoveryMAC(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)[:16]
}

// newRecoveryCookie issues a recovery cookie valid for maxAge.
func newRecoveryCookie(key []byte, now time.Time, maxAge time.Duration) (*http.Cookie, error) {
	nonce := make([]byte, recoveryNonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return &http.Cookie{
		Name:     RecoveryCookieName,
		Value:    recoveryCookieValue(key, nonce, now.Add(maxAge)),
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}, nil
}

// recoveryCookieValue encodes and signs a recovery cookie.
func recoveryCookieValue(key, nonce []byte, exp time.Time) string {
	raw := make([]byte, recoveryRawLen)
	raw[0] = recoveryVersion
	copy(raw[1:1+recoveryNonceLen], nonce)
	binary.BigEndian.PutUint64(raw[1+recoveryNonceLen:], uint64(exp.Unix()))
	copy(raw[recoveryRawLen-16:], recoveryMAC(key, raw[:recoveryRawLen-16]))
	return base64.RawURLEncoding.EncodeToString(raw)
}

// parseRecoveryCookie returns the nonce (hex) and expiry of a valid,
// unexpired recovery cookie.
func parseRecoveryCookie(key []byte, value string, now time.Time) (string, time.Time, bool) {
	if len(value) != recoveryCookieLen {
		return "", time.Time{}, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(raw) != recoveryRawLen || raw[0] != recoveryVersion {
		return "", time.Time{}, false
	}
	if !hmac.Equal(raw[recoveryRawLen-16:], recoveryMAC(key, raw[:recoveryRawLen-16])) {
		return "", time.Time{}, false
	}
	exp := int64(binary.BigEndian.Uint64(raw[1+recoveryNonceLen:]))
	if exp < 0 || now.Unix() >= exp {
		return "", time.Time{}, false
	}
	return hex.EncodeToString(raw[1 : 1+recoveryNonceLen]), time.Unix(exp, 0), true
}

// expiredRecoveryCookie removes the recovery cookie from the browser.
func expiredRecoveryCookie() *http.Cookie {
	return &http.Cookie{Name: RecoveryCookieName, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}
