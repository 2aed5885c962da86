package testsupport

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TOTP is RFC 6238's code for the base32 secret at a time (SHA-1, 6
// digits, 30 s steps), as better-auth's twoFactor plugin checks it by
// default. A secret that is not base32 fails the test.
func TOTP(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		t.Fatalf("TOTP secret: %v", err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1_000_000)
}

// WrongTOTP is a 6-digit code that no TOTP check of secret accepts now:
// none of the steps from a minute before now to a minute after gives it.
// i is where the search for one starts.
func WrongTOTP(t testing.TB, secret string, i int) string {
	t.Helper()
	now := time.Now()
	for n := i; ; n++ {
		c := fmt.Sprintf("%06d", (n*7919+123457)%1_000_000)
		ok := true
		for _, d := range []time.Duration{-60 * time.Second, -30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
			if TOTP(t, secret, now.Add(d)) == c {
				ok = false
			}
		}
		if ok {
			return c
		}
	}
}
