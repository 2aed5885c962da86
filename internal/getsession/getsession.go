// Package getsession asks the app's better-auth get-session endpoint who a
// Cookie header belongs to, the one way every request-side package that
// needs the acting user does it (adminaction's session resolver, the
// console's admin check): a GET carrying only the Cookie header, no
// redirects followed, the answer read up to a cap. It returns the answer's
// body; each caller decodes the fields it needs. Errors name the URL and
// the status, never the cookie. It imports only the standard library (no
// Caddy, no audit log, no pgx).
package getsession

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
)

// MaxBody caps the get-session answer read, in bytes.
const MaxBody = 64 << 10

// CheckURL reports whether raw is an absolute http(s) URL with a host.
func CheckURL(raw string) error {
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return nil
}

// NewClient returns a client that follows no redirects: a redirect from
// get-session is an answer, not a session.
func NewClient() *http.Client {
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Fetch sends GET url with the Cookie header cookie (and Accept JSON) and
// returns the body of a 200 answer of at most MaxBody bytes. Any other
// status, a longer answer or a failed request is an error.
func Fetch(ctx context.Context, client *http.Client, url, cookie string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("get-session request: %w", err)
	}
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get-session: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody))
		return nil, fmt.Errorf("get-session %s: status %d", url, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("get-session %s: reading: %w", url, err)
	}
	if len(data) > MaxBody {
		return nil, fmt.Errorf("get-session %s: answer over %d bytes", url, MaxBody)
	}
	return data, nil
}

// CookieKeys names Cookie headers in a cache of get-session answers by a
// keyed hash (HMAC-SHA256 under a random per-process key), so that the
// cache holds no cookie and its keys cannot be matched to one elsewhere.
type CookieKeys struct {
	key [32]byte
}

// NewCookieKeys returns CookieKeys with a fresh random key.
func NewCookieKeys() (*CookieKeys, error) {
	k := &CookieKeys{}
	if _, err := rand.Read(k.key[:]); err != nil {
		return nil, fmt.Errorf("session cache key: %w", err)
	}
	return k, nil
}

// Of returns the cache key of a Cookie header.
func (k *CookieKeys) Of(cookie string) string {
	m := hmac.New(sha256.New, k.key[:])
	io.WriteString(m, cookie)
	return string(m.Sum(nil))
}
