package lockout

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"time"
)

// The lockout's own cookies (device and recovery) share one signed format:
// base64url, unpadded, of
//
//	version (1) | nonce | unix seconds (8) | MAC (16)
//
// where MAC is the first 16 bytes of HMAC-SHA256, under the cookie kind's
// own derived key, over a binding (the account key of a device cookie;
// none for a recovery cookie) and the bytes before the MAC. Decoding is
// strict: one cookie has one spelling. What the time means (issued or
// expires) and how it is checked is the cookie kind's business.
type signedFormat struct {
	version  byte
	nonceLen int
}

// signedMACLen is the length of a signed cookie's MAC.
const signedMACLen = 16

// rawLen is the decoded length of a cookie value.
func (f signedFormat) rawLen() int { return 1 + f.nonceLen + 8 + signedMACLen }

// textLen is the encoded length of a cookie value.
func (f signedFormat) textLen() int { return (f.rawLen()*8 + 5) / 6 }

// mac computes the MAC of a cookie body under key, bound to bind.
func (f signedFormat) mac(key []byte, bind string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(bind))
	m.Write(body)
	return m.Sum(nil)[:signedMACLen]
}

// encode signs nonce and t, bound to bind.
func (f signedFormat) encode(key []byte, bind string, nonce []byte, t time.Time) string {
	raw := make([]byte, f.rawLen())
	raw[0] = f.version
	copy(raw[1:1+f.nonceLen], nonce)
	binary.BigEndian.PutUint64(raw[1+f.nonceLen:], uint64(t.Unix()))
	body := len(raw) - signedMACLen
	copy(raw[body:], f.mac(key, bind, raw[:body]))
	return base64.RawURLEncoding.EncodeToString(raw)
}

// issue signs a fresh random nonce and t, bound to bind.
func (f signedFormat) issue(key []byte, bind string, t time.Time) (string, error) {
	nonce := make([]byte, f.nonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return f.encode(key, bind, nonce, t), nil
}

// split decodes a well-formed value of this format without checking its
// MAC: the raw bytes and the time they carry (Unix seconds).
func (f signedFormat) split(value string) (raw []byte, unix int64, ok bool) {
	if len(value) != f.textLen() {
		return nil, 0, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(raw) != f.rawLen() || raw[0] != f.version {
		return nil, 0, false
	}
	return raw, int64(binary.BigEndian.Uint64(raw[1+f.nonceLen:])), true
}

// open decodes a value and checks its MAC under key for bind: the nonce
// and the time it carries.
func (f signedFormat) open(key []byte, bind, value string) (nonce []byte, unix int64, ok bool) {
	raw, unix, ok := f.split(value)
	if !ok {
		return nil, 0, false
	}
	body := len(raw) - signedMACLen
	if !hmac.Equal(raw[body:], f.mac(key, bind, raw[:body])) {
		return nil, 0, false
	}
	return raw[1 : 1+f.nonceLen], unix, true
}

// guardCookie is one of the lockout's cookies as the browser gets it: the
// __Host- prefix needs Secure, Path=/ and no Domain; scripts never read
// it; Lax keeps it off cross-site subrequests. A negative maxAge removes
// it.
func guardCookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}
