package ratelimit

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzBodyKey: whatever the body and content type, a body-keyed zone
// never panics; it either refuses the request with a 4xx or keys it, and
// then the body goes upstream byte-identical.
func FuzzBodyKey(f *testing.F) {
	f.Add("application/json", []byte(`{"email":"A@b.c","password":"x"}`), int64(64))
	f.Add("application/x-www-form-urlencoded", []byte("email=a%40b.c&email=z"), int64(64))
	f.Add("application/json; charset=utf-8", []byte(`{"email":{"nested":1}}`), int64(4))
	f.Add("text/plain", []byte("\xff\xfe"), int64(1))
	f.Add("application/x-www-form-urlencoded, multipart/form-data; boundary=X", []byte("--X--"), int64(64))
	f.Fuzz(func(t *testing.T, contentType string, body []byte, max int64) {
		if max < 0 {
			max = -max
		}
		max = max%(1<<16) + 1
		r := httptest.NewRequest("POST", "/api/auth/sign-in/email", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		b := &bodyFields{max: max}
		v, refusal := b.get(r, "email")
		if refusal != nil {
			if refusal.Status < 400 || refusal.Status > 499 || refusal.Message == "" {
				t.Fatalf("refusal %+v", refusal)
			}
			return
		}
		if v == "" || int64(len(body)) > max {
			t.Fatalf("keyed on %q from a body of %d bytes (cap %d)", v, len(body), max)
		}
		got, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body not restored: %q (err %v), want %q", got, err, body)
		}
	})
}

// FuzzParseRate: any text either parses to a usable rate or is refused.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"5/1m", "3/15m", "100/s", "0/1m", "1/0s", "9999999999/1ns", "/", "5/-1m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !strings.Contains(err.Error(), "rate") {
				t.Fatalf("error does not say what is wrong: %v", err)
			}
			return
		}
		if r.Count < 1 || r.Period <= 0 || r.Interval() <= 0 {
			t.Fatalf("ParseRate(%q) = %+v: accepted a rate that cannot be limited", s, r)
		}
	})
}
