package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/nodeapp"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// chromiumPath finds Debian's Chromium, or ends the test as a missing
// service.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testsupport.ServiceUnavailable(t, "Chromium", errors.New("no chromium on PATH (apt-get install chromium)"))
	return ""
}

// dumpDOM loads url in headless Chromium and returns the DOM after load,
// with scripts run.
func dumpDOM(t *testing.T, chromium, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(),
		// The edge's certificate comes from a CA made for this test.
		"--ignore-certificate-errors",
		"--virtual-time-budget=5000",
		"--dump-dom", url)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("chromium %s: %v\n%s", url, err, stderr)
	}
	return string(out)
}

var (
	htmlTagRE = regexp.MustCompile(`<html[^>]*>`)
	bodyTagRE = regexp.MustCompile(`<body[^>]*>`)
)

// TestBrowserRunsAppScriptsWithZeroViolations loads the app's pages through
// the example Caddyfile in a real Chromium: the dynamically rendered pages
// (nonce from Next-style rendering) and the prerendered ones (nonce injected
// by the edge) must run their inline, external and dynamically loaded
// scripts with no CSP violation, while a control page with one inline
// script lacking the nonce must show exactly that script blocked.
func TestBrowserRunsAppScriptsWithZeroViolations(t *testing.T) {
	skipInShort(t, "starts Caddy and Chromium")
	chromium := chromiumPath(t)
	e, _ := startExample(t, "log {\n\t\toutput file {DIR}/caddy.log\n\t\tformat json\n\t\tlevel WARN\n\t}")

	for _, path := range []string{"/", "/chat", "/login", "/signup"} {
		dom := dumpDOM(t, chromium, e.URL(path))
		html, body := htmlTagRE.FindString(dom), bodyTagRE.FindString(dom)
		if !strings.Contains(html, `data-csp-watch="on"`) {
			t.Errorf("%s: the violation watch script did not run: %s", path, html)
		}
		if strings.Contains(html, "data-csp-violations") {
			t.Errorf("%s: CSP violations in the browser: %s", path, html)
		}
		for _, attr := range []string{`data-inline="ran"`, `data-chunk="ran"`, `data-lazy="ran"`} {
			if !strings.Contains(body, attr) {
				t.Errorf("%s: script did not run (%s missing): %s", path, attr, body)
			}
		}
	}

	dom := dumpDOM(t, chromium, e.URL(demoupstream.CSPControlPath))
	html, body := htmlTagRE.FindString(dom), bodyTagRE.FindString(dom)
	if !strings.Contains(html, `data-csp-violations="1"`) || !strings.Contains(html, "script-src-elem inline") {
		t.Errorf("control page: want exactly one script-src-elem violation for the un-nonced inline script, got %s", html)
	}
	if strings.Contains(body, `data-control="ran"`) {
		t.Errorf("control page: the inline script without a nonce ran: %s", body)
	}

	// The browser also reports the control's violation to the edge's
	// endpoint; the app pages above must have sent none.
	reports := waitForLogLines(t, e.Dir+"/caddy.log", "csp violation", 1, 20*time.Second)
	for _, line := range reports {
		if !strings.Contains(line, demoupstream.CSPControlPath) {
			t.Errorf("a CSP report for an app page reached the edge: %s", line)
		}
	}
	t.Logf("%d CSP report(s) reached the edge, all for the control page", len(reports))
}

// waitForLogLines waits until the log file holds at least n lines
// containing substr and returns them.
func waitForLogLines(t *testing.T, path, substr string, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var lines []string
		if f, err := os.Open(path); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				if strings.Contains(sc.Text(), substr) {
					lines = append(lines, sc.Text())
				}
			}
			f.Close()
		}
		if len(lines) >= n || time.Now().After(deadline) {
			if len(lines) < n {
				t.Fatalf("log %s: %d lines with %q after %v, want at least %d", path, len(lines), substr, timeout, n)
			}
			return lines
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runBrowserScript runs testapps/<app>/browser-check.mjs (playwright-core
// driving Debian's Chromium) with args, decodes the JSON report it prints
// into rep and returns the raw report. The script judges nothing; the
// calling test asserts on the report.
func runBrowserScript(t *testing.T, app, chromium string, env []string, rep any, args ...string) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		testsupport.ServiceUnavailable(t, "node", errors.New("no node on PATH"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"browser-check.mjs"}, args...)...)
	cmd.Dir = nodeapp.Dir(app)
	cmd.Env = append(append(os.Environ(), "CHROMIUM="+chromium), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s/browser-check.mjs: %v\n%s", app, err, stderr.String())
	}
	if err := json.Unmarshal(out, rep); err != nil {
		t.Fatalf("%s/browser-check.mjs output: %v\n%s", app, err, out)
	}
	return out
}
