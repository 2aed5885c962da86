package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// hstsMinAge is one year, the minimum for HSTS preload and the
// Observatory's full marks.
const hstsMinAge = 31536000

// fixPreset is the fix when most of the policy is missing.
const fixPreset = "put `ocomms_headers ocomms` in the site block (before reverse_proxy; see docs/headers.md)"

// headerIssue is one problem with a response's headers.
type headerIssue struct {
	status  Status
	problem string
	fix     string
}

// goodReferrer are Referrer-Policy values that do not leak paths cross-origin.
var goodReferrer = map[string]bool{
	"no-referrer": true, "same-origin": true, "strict-origin": true, "strict-origin-when-cross-origin": true,
}

// evaluateHeaders checks a response's security headers. https says
// whether the response came over TLS (HSTS is only meaningful there).
func evaluateHeaders(h http.Header, https bool) []headerIssue {
	var out []headerIssue
	csp := parseCSPHeaders(h.Values("Content-Security-Policy"))
	switch {
	case len(csp) == 0 && h.Get("Content-Security-Policy-Report-Only") != "":
		out = append(out, headerIssue{Fail, "CSP is report-only: nothing is enforced", "drop `report_only` from ocomms_headers once the reports are clean"})
	case len(csp) == 0:
		out = append(out, headerIssue{Fail, "no Content-Security-Policy", fixPreset})
	default:
		var problems []string
		safe := false
		for _, p := range csp {
			if prob := scriptProblem(p); prob == "" {
				safe = true
			} else {
				problems = append(problems, prob)
			}
		}
		if !safe {
			out = append(out, headerIssue{Fail, "CSP " + strings.Join(problems, "; "),
				"use a nonce policy (`ocomms_headers ocomms`: script-src {nonce} 'strict-dynamic'); never 'unsafe-inline'/'unsafe-eval' in script-src"})
		}
	}
	if https {
		if age, ok := hstsMaxAge(h.Get("Strict-Transport-Security")); !ok {
			out = append(out, headerIssue{Fail, "no Strict-Transport-Security", fixPreset})
		} else if age < hstsMinAge {
			out = append(out, headerIssue{Fail, fmt.Sprintf("HSTS max-age=%d is under one year", age),
				"`hsts \"max-age=31536000; includeSubDomains\"` in ocomms_headers (the ocomms preset's default)"})
		}
	}
	xfo := strings.ToUpper(strings.TrimSpace(h.Get("X-Frame-Options")))
	frameAncestors := false
	for _, p := range csp {
		if _, ok := p.Get("frame-ancestors"); ok {
			frameAncestors = true
		}
	}
	if xfo != "DENY" && xfo != "SAMEORIGIN" && !frameAncestors {
		out = append(out, headerIssue{Fail, "neither X-Frame-Options DENY/SAMEORIGIN nor CSP frame-ancestors (clickjacking)", fixPreset})
	}
	if !strings.EqualFold(strings.TrimSpace(h.Get("X-Content-Type-Options")), "nosniff") {
		out = append(out, headerIssue{Fail, "no X-Content-Type-Options: nosniff", fixPreset})
	}
	switch rp := referrerPolicy(h.Get("Referrer-Policy")); {
	case rp == "":
		out = append(out, headerIssue{Warn, "no Referrer-Policy (browsers default to strict-origin-when-cross-origin)", fixPreset})
	case !goodReferrer[rp]:
		out = append(out, headerIssue{Fail, "Referrer-Policy " + rp + " leaks URLs (reset tokens travel in them) to other sites",
			"Referrer-Policy strict-origin-when-cross-origin (the ocomms preset) or no-referrer"})
	}
	if h.Get("Permissions-Policy") == "" {
		out = append(out, headerIssue{Warn, "no Permissions-Policy", fixPreset})
	}
	if v := h.Get("X-Powered-By"); v != "" {
		out = append(out, headerIssue{Warn, "X-Powered-By: " + v + " tells attackers the stack", "the ocomms preset removes it (`remove X-Powered-By`)"})
	}
	return out
}

// hstsMaxAge returns the max-age of an HSTS header value.
func hstsMaxAge(v string) (int64, bool) {
	for _, part := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "max-age") {
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if err == nil && n >= 0 {
				return n, true
			}
		}
	}
	return 0, false
}

// referrerPolicy returns the policy browsers apply: the last valid token.
func referrerPolicy(v string) string {
	var last string
	for _, tok := range strings.Split(v, ",") {
		if t := strings.ToLower(strings.TrimSpace(tok)); t != "" {
			last = t
		}
	}
	return last
}

// headerResult folds issues into one Result for a page.
func headerResult(name, detail string, issues []headerIssue) Result {
	res := Result{Name: name, Status: Pass, Detail: detail + ": all security headers present"}
	if len(issues) == 0 {
		return res
	}
	var problems, fixes []string
	seen := map[string]bool{}
	res.Status = Pass
	for _, is := range issues {
		res.Status = worse(res.Status, is.status)
		problems = append(problems, is.problem)
		if !seen[is.fix] {
			seen[is.fix] = true
			fixes = append(fixes, is.fix)
		}
	}
	res.Detail = detail + ": " + strings.Join(problems, "; ")
	res.Fix = strings.Join(fixes, "; ")
	return res
}

// fetch performs one request and returns the response with its body
// drained.
func fetch(ctx context.Context, c *http.Client, method, url string, body string, hdr map[string]string) (*http.Response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp, nil
}

// randomToken returns n random bytes in hex.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkHeaders checks the security headers on /, on a 404 and on a 429.
func checkHeaders(ctx context.Context, opts Options, s site) []Result {
	c := newClient(opts, s.host)
	https := s.base.Scheme == "https"
	var out []Result

	page := func(name, path string, wantStatus func(int) bool, what string) {
		resp, err := fetch(ctx, c, http.MethodGet, s.url(path), "", map[string]string{"Accept": "text/html"})
		if err != nil {
			out = append(out, Result{Name: name, Status: Fail, Detail: fmt.Sprintf("GET %s: %v", path, err), Fix: "make the site reachable at " + s.base.String()})
			return
		}
		detail := fmt.Sprintf("GET %s → %d", path, resp.StatusCode)
		res := headerResult(name, detail, evaluateHeaders(resp.Header, https))
		if !wantStatus(resp.StatusCode) {
			res.Status = worse(res.Status, Warn)
			res.Detail += " (expected " + what + ")"
		}
		res.Data = map[string]any{"status": resp.StatusCode}
		out = append(out, res)
	}
	page("headers /", "/", func(st int) bool { return st < 400 }, "a page")
	page("headers error page", "/ocomms-doctor-"+randomToken(8), func(st int) bool { return st >= 400 }, "an error status")
	out = append(out, check429(ctx, opts, s, c, https))
	return out
}

// check429 provokes a 429 on a sign-in path with failing attempts for a
// throwaway email and checks its headers.
func check429(ctx context.Context, opts Options, s site, c *http.Client, https bool) Result {
	const name = "headers 429"
	if !opts.Provoke429 {
		return skipped(name, "not provoked (pass --provoke-429 to send failing sign-ins for a throwaway email until the edge answers 429)")
	}
	email := "ocomms-doctor-" + randomToken(6) + "@invalid.example"
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, "x-"+randomToken(8))
	hdr := map[string]string{"Content-Type": "application/json", "Origin": s.base.String()}
	for i := 1; i <= opts.Provoke429Max; i++ {
		resp, err := fetch(ctx, c, http.MethodPost, s.url(opts.Provoke429Path), body, hdr)
		if err != nil {
			return Result{Name: name, Status: Fail, Detail: fmt.Sprintf("POST %s: %v", opts.Provoke429Path, err), Fix: "make the site reachable"}
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			continue
		}
		detail := fmt.Sprintf("POST %s → 429 after %d attempts", opts.Provoke429Path, i)
		issues := evaluateHeaders(resp.Header, https)
		if resp.Header.Get("Retry-After") == "" {
			issues = append(issues, headerIssue{Warn, "no Retry-After on the 429", "use ocomms_rate_limit, which sends Retry-After and the RateLimit headers"})
		}
		res := headerResult(name, detail, issues)
		res.Data = map[string]any{"attempts": i}
		return res
	}
	return Result{Name: name, Status: Fail,
		Detail: fmt.Sprintf("no 429 after %d failing sign-ins on %s: sign-in is not rate limited", opts.Provoke429Max, opts.Provoke429Path),
		Fix:    "put `ocomms_rate_limit ocomms` in the site block (sign-in: 10 failures per email and 30 per address per 15 min)"}
}
