package doctor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// checkRedirect asks the plain-HTTP port for / and expects a permanent
// redirect to https on the same host.
func checkRedirect(ctx context.Context, opts Options, s site) Result {
	const name = "redirect"
	target := opts.HTTPURL
	if target == "" {
		target = "http://" + s.host + "/"
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return Result{Name: name, Status: Fail, Detail: fmt.Sprintf("bad plain-HTTP URL %q", target), Fix: "pass --http-url http://host[:port]/"}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	fix := "keep Caddy's automatic HTTPS redirects on: no `auto_https off|disable_redirects` and no `http://` site that answers instead; publish port 80"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Result{Name: name, Status: Fail, Detail: err.Error()}
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := newClient(opts, s.host).Do(req)
	if err != nil {
		return Result{Name: name, Status: Fail,
			Detail: fmt.Sprintf("%s: %v", u.Redacted(), err),
			Fix:    "nothing answers plain HTTP: publish port 80 to the edge, so that typed addresses and HTTP-01 challenges reach it (" + fix + ")"}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	loc := resp.Header.Get("Location")
	data := map[string]any{"status": resp.StatusCode, "location": loc}
	detail := fmt.Sprintf("%s → %d %s", u.Redacted(), resp.StatusCode, loc)
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusFound, http.StatusTemporaryRedirect:
	default:
		return Result{Name: name, Status: Fail, Detail: detail + " (no redirect: the site is served over plain HTTP)", Fix: fix, Data: data}
	}
	to, err := u.Parse(loc)
	if err != nil || to.Scheme != "https" {
		return Result{Name: name, Status: Fail, Detail: detail + " (not to https)", Fix: fix, Data: data}
	}
	if !strings.EqualFold(to.Hostname(), u.Hostname()) {
		return Result{Name: name, Status: Warn, Detail: detail + " (to another host: HSTS preload needs the first hop to stay on the same host)",
			Fix: "redirect http://" + u.Hostname() + " to https://" + u.Hostname() + " first", Data: data}
	}
	if resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusTemporaryRedirect {
		return Result{Name: name, Status: Warn, Detail: detail + " (temporary: browsers and caches do not remember it)",
			Fix: "answer 308 (Caddy's automatic redirect) or 301", Data: data}
	}
	return Result{Name: name, Status: Pass, Detail: detail, Data: data}
}
