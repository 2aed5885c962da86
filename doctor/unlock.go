package doctor

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Defaults of ocomms_auth_guard's lock answer, as the guard fills them.
const (
	defaultUnlockURL  = "/forgot-password"
	unlockModeReset   = "reset"
	unlockModeAdmin   = "admin"
	unlockFixSentence = "set ocomms_auth_guard `unlock_url` (OCOMMS_UNLOCK_URL) to the app's password-reset page, " +
		"or `unlock_mode admin` (OCOMMS_UNLOCK_MODE=admin) when the app has no self-service reset (OComms v0.1.0): " +
		"the lock answer then says to wait or contact an administrator"
)

// unlockSetting is one guard's lock answer configuration.
type unlockSetting struct {
	URL, Mode string
}

// guardUnlockSettings finds every ocomms_auth_guard handler in a Caddy
// JSON config and returns its unlock URL and mode, defaults filled,
// without duplicates.
func guardUnlockSettings(cfg any) []unlockSetting {
	var out []unlockSetting
	for _, v := range handlersNamed(cfg, "ocomms_auth_guard") {
		s := unlockSetting{Mode: unlockModeReset}
		if m, ok := v["unlock_mode"].(string); ok && m != "" {
			s.Mode = m
		}
		if s.Mode != unlockModeAdmin {
			s.URL = defaultUnlockURL
			if u, ok := v["unlock_url"].(string); ok && u != "" {
				s.URL = u
			}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// checkUnlock fetches the page the lock answer points a locked user to,
// through the edge as the user's browser would, and warns unless it is a
// page (200, HTML): OComms v0.1.0 has no /forgot-password, and its
// middleware redirects any unknown page to /login, so a locked user told
// to reset there has no way out.
func checkUnlock(ctx context.Context, opts Options, s site) []Result {
	const name = "unlock url"
	var settings []unlockSetting
	switch {
	case opts.UnlockURL != "":
		settings = []unlockSetting{{URL: opts.UnlockURL, Mode: unlockModeReset}}
	case opts.Admin == "":
		return []Result{skipped(name, "no --admin address to read the guard's unlock_url from, and no --unlock-url")}
	default:
		var cfg any
		if _, err := adminGet(ctx, opts, "/config/", &cfg); err != nil {
			return []Result{skipped(name, "admin API unreachable ("+err.Error()+"); pass --unlock-url to check the page anyway")}
		}
		settings = guardUnlockSettings(cfg)
		if len(settings) == 0 {
			return []Result{skipped(name, "no ocomms_auth_guard in this edge")}
		}
	}
	var out []Result
	for _, st := range settings {
		if st.Mode == unlockModeAdmin {
			out = append(out, Result{Name: name, Status: Pass,
				Detail: "unlock_mode admin: the lock answer offers no self-service page (wait, or an administrator unlocks)",
				Data:   map[string]any{"mode": st.Mode}})
			continue
		}
		out = append(out, checkUnlockPage(ctx, opts, s, st.URL))
	}
	return out
}

// checkUnlockPage judges one unlock URL.
func checkUnlockPage(ctx context.Context, opts Options, s site, raw string) Result {
	const name = "unlock url"
	ref, err := url.Parse(raw)
	if err != nil || (ref.Scheme != "" && ref.Scheme != "https" && ref.Scheme != "http") {
		return Result{Name: name, Status: Warn, Detail: fmt.Sprintf("unlock_url %q is not a URL or path", raw), Fix: unlockFixSentence}
	}
	target := s.base.ResolveReference(ref)
	data := map[string]any{"url": target.Redacted(), "mode": unlockModeReset}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return Result{Name: name, Status: Warn, Detail: err.Error(), Fix: unlockFixSentence, Data: data}
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/html")
	resp, err := newClient(opts, s.host).Do(req)
	if err != nil {
		return Result{Name: name, Status: Warn, Detail: fmt.Sprintf("GET %s: %v", target.Redacted(), err), Fix: unlockFixSentence, Data: data}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	loc := resp.Header.Get("Location")
	data["status"], data["content_type"] = resp.StatusCode, ct
	detail := fmt.Sprintf("GET %s → %d", target.Redacted(), resp.StatusCode)
	switch {
	case resp.StatusCode == http.StatusOK && (ct == "text/html" || ct == "application/xhtml+xml"):
		return Result{Name: name, Status: Pass, Detail: detail + " " + ct + ": the lock answer's reset page exists", Data: data}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		data["location"] = loc
		detail += " " + loc
		if to, err := target.Parse(loc); err == nil && looksLikeLogin(to.Path) {
			detail += " (a redirect to the login page: the app has no page at " + target.Path + ", so a locked user sent there has no way out but waiting or an administrator)"
		} else {
			detail += " (a redirect, not the reset page itself)"
		}
	case resp.StatusCode == http.StatusOK:
		detail += " " + ct + " (not a page)"
	default:
		detail += " (not a page)"
	}
	return Result{Name: name, Status: Warn, Detail: detail, Fix: unlockFixSentence, Data: data}
}

// looksLikeLogin reports whether a path is a sign-in page.
func looksLikeLogin(p string) bool {
	p = strings.ToLower(p)
	for _, w := range []string{"login", "sign-in", "signin", "sign_in"} {
		if strings.Contains(p, w) {
			return true
		}
	}
	return false
}
