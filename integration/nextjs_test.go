package integration

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/nodeapp"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// The real Next.js 16 app in testapps/nextjs (App Router: dynamic,
// prerendered and ISR pages, next/link, a server action, next/font,
// next/image, not-found.js, error.js and a route that throws), built by
// `make testapps` and run with `next start` behind Caddyfile.example.

// startNextApp runs `next start` on the built test app.
func startNextApp(t *testing.T) *nodeapp.App {
	t.Helper()
	dir := nodeapp.Dir("nextjs")
	if _, err := os.Stat(filepath.Join(dir, ".next", "BUILD_ID")); err != nil {
		testsupport.ServiceUnavailable(t, "the built Next.js test app", fmt.Errorf("run `make testapps`: %w", err))
	}
	return nodeapp.Start(t, "nextjs", nodeapp.Options{
		Args: []string{"node_modules/next/dist/bin/next", "start", "--hostname", "127.0.0.1"},
		Env:  []string{"NEXT_TELEMETRY_DISABLED=1", "NODE_ENV=production"},
	})
}

var scriptStartRE = regexp.MustCompile(`(?i)<script\b[^>]*>`)

// readBody reads a response body, gunzipping it when it came compressed.
func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

// checkNoncePage checks a page answered through the edge: its scripts all
// carry this response's nonce, and no shared cache may keep it.
func checkNoncePage(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	m := nonceRE.FindStringSubmatch(resp.Header.Get("Content-Security-Policy"))
	if m == nil {
		t.Fatalf("no nonce in CSP %q", resp.Header.Get("Content-Security-Policy"))
	}
	tags := scriptStartRE.FindAllString(body, -1)
	if len(tags) < 3 {
		t.Fatalf("only %d script tags: not a Next.js page?\n%s", len(tags), body)
	}
	for _, tag := range tags {
		// One nonce attribute, this response's: Chromium treats a script
		// with a duplicate attribute as not nonceable.
		if !strings.Contains(tag, `nonce="`+m[1]+`"`) || strings.Count(tag, "nonce=") != 1 {
			t.Errorf("script without exactly this response's nonce: %s", tag)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "private, no-cache" && !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q: a shared cache could keep this nonce", cc)
	}
	for _, gone := range []string{"Etag", "Last-Modified", "X-Nextjs-Prerender", "X-Powered-By"} {
		if v := resp.Header.Get(gone); v != "" {
			t.Errorf("%s = %q on a nonce page", gone, v)
		}
	}
}

// direct asks the Next.js app itself, bypassing the edge.
func direct(t *testing.T, app *nodeapp.App, path string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL()+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s from the app: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestNextAppThroughTheExampleEdge(t *testing.T) {
	skipInShort(t, "starts Next.js and Caddy")
	app := startNextApp(t)
	e := startExampleFor(t, app.Addr())

	t.Run("unknown URL: prerendered 404 with every script nonced", func(t *testing.T) {
		resp := e.Get(t, "/no-such-page", "Sec-Fetch-Dest", "document", "Accept", "text/html")
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "not found") {
			t.Fatalf("status %d:\n%s", resp.StatusCode, body)
		}
		checkNoncePage(t, resp, body)
	})

	t.Run("HTML the app compressed itself is decoded and nonced", func(t *testing.T) {
		// A client that accepts gzip but does not ask for HTML keeps its
		// Accept-Encoding upstream, and Next.js compresses its 404 page.
		hdr := []string{"Accept", "application/json", "Accept-Encoding", "gzip"}
		if d := direct(t, app, "/no-such-page", hdr...); d.Header.Get("Content-Encoding") != "gzip" || d.StatusCode != 404 {
			t.Fatalf("precondition: the app answered %d with Content-Encoding %q, want a gzip 404", d.StatusCode, d.Header.Get("Content-Encoding"))
		}
		resp := e.Get(t, "/no-such-page", hdr...)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d:\n%s", resp.StatusCode, body)
		}
		checkNoncePage(t, resp, body)
	})

	t.Run("prerendered page loses its shared-cache lifetime", func(t *testing.T) {
		if d := direct(t, app, "/static"); !strings.Contains(d.Header.Get("Cache-Control"), "s-maxage=") {
			t.Fatalf("precondition: the app sent Cache-Control %q, want s-maxage", d.Header.Get("Cache-Control"))
		}
		resp := e.Get(t, "/static", "Sec-Fetch-Dest", "document")
		checkNoncePage(t, resp, readBody(t, resp))
	})

	t.Run("ISR page too", func(t *testing.T) {
		resp := e.Get(t, "/isr", "Sec-Fetch-Dest", "document")
		checkNoncePage(t, resp, readBody(t, resp))
	})

	t.Run("ISR page regenerated with a request's nonce baked in", func(t *testing.T) {
		// Next.js serves the stale page to the request that triggers the
		// regeneration and writes the new one in the background: wait for
		// the cached page to carry the baked nonce (re-triggering now and
		// then), so the precondition does not race the regeneration.
		var raw string
		for try := 0; try < 50 && !strings.Contains(raw, `nonce="`); try++ {
			if try%10 == 0 {
				bakeISRNonce(t, e)
			}
			time.Sleep(100 * time.Millisecond)
			d, err := http.Get(app.URL() + "/isr")
			if err != nil {
				t.Fatal(err)
			}
			raw = readBody(t, d)
		}
		if !strings.Contains(raw, `nonce="`) {
			t.Fatalf("precondition: Next.js's cached /isr carries no baked nonce after 5 regenerations:\n%s", raw)
		}
		resp := e.Get(t, "/isr", "Sec-Fetch-Dest", "document")
		checkNoncePage(t, resp, readBody(t, resp))
	})

	t.Run("conditional requests get a full 200", func(t *testing.T) {
		d := direct(t, app, "/static")
		etag := d.Header.Get("Etag")
		if etag == "" || direct(t, app, "/static", "If-None-Match", etag).StatusCode != http.StatusNotModified {
			t.Fatalf("precondition: the app must answer If-None-Match %q with 304", etag)
		}
		for _, hdr := range [][]string{
			{"Sec-Fetch-Dest", "document", "If-None-Match", etag},
			{"If-None-Match", etag},
			{"Accept", "text/html", "If-Modified-Since", time.Now().UTC().Format(http.TimeFormat), "If-None-Match", etag},
		} {
			resp := e.Get(t, "/static", hdr...)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "static") {
				t.Fatalf("%v: status %d, %d bytes; want a full 200", hdr, resp.StatusCode, len(body))
			}
			checkNoncePage(t, resp, body)
		}
	})

	t.Run("route that throws: 500 from error.js, nonced by Next.js", func(t *testing.T) {
		resp := e.Get(t, "/boom", "Sec-Fetch-Dest", "document")
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("status %d", resp.StatusCode)
		}
		checkNoncePage(t, resp, body)
	})

	t.Run("dynamic page: Next.js read the nonce from the request", func(t *testing.T) {
		resp := e.Get(t, "/dynamic", "Sec-Fetch-Dest", "document")
		body := readBody(t, resp)
		if !strings.Contains(body, `id="has-nonce">yes<`) {
			t.Fatalf("the app did not see a nonce on the request:\n%s", body)
		}
		checkNoncePage(t, resp, body)
	})

	t.Run("static assets keep their caching", func(t *testing.T) {
		resp := e.Get(t, "/static", "Sec-Fetch-Dest", "document")
		chunk := regexp.MustCompile(`src="(/_next/static/chunks/[^"]+\.js)"`).FindStringSubmatch(readBody(t, resp))
		if chunk == nil {
			t.Fatal("no chunk in the page")
		}
		js := e.Get(t, chunk[1], "Sec-Fetch-Dest", "script")
		io.Copy(io.Discard, js.Body)
		if js.StatusCode != 200 || !strings.Contains(js.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("chunk %s: %d, Cache-Control %q", chunk[1], js.StatusCode, js.Header.Get("Cache-Control"))
		}
	})
}

// bakeISRNonce revalidates /isr on demand and requests it once through the
// edge: Next.js regenerates the page with that request's nonce stamped on
// its scripts and serves the same HTML to every later request.
func bakeISRNonce(t *testing.T, e *edgetest.Edge) {
	t.Helper()
	resp, err := e.Client.Post(e.URL("/api/revalidate"), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revalidate: %d", resp.StatusCode)
	}
	first := e.Get(t, "/isr", "Sec-Fetch-Dest", "document")
	checkNoncePage(t, first, readBody(t, first))
}

// browserReport is what testapps/nextjs/browser-check.mjs prints.
type browserReport struct {
	Loads      []browserVisit `json:"loads"`
	Navigation []browserVisit `json:"navigation"`
	Action     browserVisit   `json:"action"`
}

type browserVisit struct {
	Path         string             `json:"path"`
	Want         string             `json:"want"`
	URL          string             `json:"url"`
	Status       int                `json:"status"`
	Title        *string            `json:"title"`
	HydratedOK   bool               `json:"hydratedOK"`
	SameDocument *bool              `json:"sameDocument"`
	Violations   []browserViolation `json:"violations"`
	Console      []string           `json:"console"`
	PageErrors   []string           `json:"pageErrors"`
	Control      *string            `json:"control"`
	Image        *struct {
		Src   string `json:"src"`
		Width int    `json:"width"`
	} `json:"image"`
	Fonts  []string `json:"fonts"`
	Result *struct {
		Count *string `json:"count"`
		Text  *string `json:"text"`
	} `json:"result"`
	PostStatus  []int  `json:"postStatus"`
	FirstScript string `json:"firstScript"`
}

type browserViolation struct {
	Directive string `json:"directive"`
	Blocked   string `json:"blocked"`
	Sample    string `json:"sample"`
}

// runBrowserCheck runs the Chromium driver against the edge.
func runBrowserCheck(t *testing.T, chromium, base string) browserReport {
	t.Helper()
	var rep browserReport
	runBrowserScript(t, "nextjs", chromium, nil, &rep, base)
	return rep
}

// TestNextAppInChromium loads every page of the real Next.js app through
// the example edge in headless Chromium, navigates client-side from the
// not-found page, and submits the server action: no CSP violation and a
// hydrated page everywhere, while the control page's one un-nonced inline
// script is the one violation, seen by the page and reported to the edge.
func TestNextAppInChromium(t *testing.T) {
	skipInShort(t, "starts Next.js, Caddy and Chromium")
	chromium := chromiumPath(t)
	app := startNextApp(t)
	e := startExampleFor(t, app.Addr(), "log {\n\t\toutput file {DIR}/caddy.log\n\t\tformat json\n\t\tlevel WARN\n\t}")
	// The ISR page the browser gets carries a stale nonce from Next.js.
	bakeISRNonce(t, e)
	rep := runBrowserCheck(t, chromium, e.URL(""))

	wantStatus := map[string]int{"/boom": 500, "/no-such-page": 404}
	if len(rep.Loads) != 9 {
		t.Fatalf("%d page loads reported, want 9", len(rep.Loads))
	}
	for _, v := range rep.Loads {
		status := 200
		if s, ok := wantStatus[v.Path]; ok {
			status = s
		}
		if v.Status != status {
			t.Errorf("%s: status %d, want %d", v.Path, v.Status, status)
		}
		if !v.HydratedOK {
			t.Errorf("%s: the page did not hydrate (marker %v, page errors %q)", v.Path, v.Title, v.PageErrors)
		}
		if v.Path == "/control" {
			if len(v.Violations) != 1 || v.Violations[0].Directive != "script-src-elem" || v.Violations[0].Blocked != "inline" {
				t.Errorf("control: violations %+v, want exactly one script-src-elem for the inline script", v.Violations)
			}
			if len(v.Console) != 1 {
				t.Errorf("control: %d CSP console errors, want 1: %q", len(v.Console), v.Console)
			}
			if v.Control != nil {
				t.Errorf("control: the un-nonced inline script ran")
			}
			continue
		}
		if len(v.Violations) != 0 || len(v.Console) != 0 {
			t.Errorf("%s: %d CSP violations %+v, console %q; first script tag %s", v.Path, len(v.Violations), v.Violations, v.Console, v.FirstScript)
		}
		if v.Path == "/image" {
			if v.Image == nil || v.Image.Width != 32 || !strings.Contains(v.Image.Src, "/_next/image") {
				t.Errorf("next/image did not load through the optimizer: %+v", v.Image)
			}
			if len(v.Fonts) == 0 {
				t.Errorf("the next/font face did not load")
			}
		}
	}

	if len(rep.Navigation) != 6 {
		t.Fatalf("%d client navigations reported, want 6", len(rep.Navigation))
	}
	for _, v := range rep.Navigation {
		if v.URL != v.Want || !v.HydratedOK || v.SameDocument == nil || !*v.SameDocument {
			t.Errorf("client navigation to %s: at %s, hydrated %v, same document %v", v.Want, v.URL, v.HydratedOK, v.SameDocument)
		}
		if len(v.Violations) != 0 || len(v.Console) != 0 {
			t.Errorf("navigation to %s: CSP violations %+v, console %q", v.Want, v.Violations, v.Console)
		}
	}

	a := rep.Action
	if !a.HydratedOK || a.Result == nil || a.Result.Count == nil || *a.Result.Count != "1" || a.Result.Text == nil || *a.Result.Text != "THROUGH THE EDGE" {
		t.Errorf("server action: hydrated %v, result %+v, POST statuses %v", a.HydratedOK, a.Result, a.PostStatus)
	}
	if len(a.Violations) != 0 || len(a.Console) != 0 {
		t.Errorf("server action page: CSP violations %+v, console %q", a.Violations, a.Console)
	}

	// The browser reports to the edge's endpoint too: only the control
	// page's violation may arrive.
	reports := waitForLogLines(t, e.Dir+"/caddy.log", "csp violation", 1, 20*time.Second)
	for _, line := range reports {
		if !strings.Contains(line, "/control") {
			t.Errorf("a CSP report for an app page reached the edge: %s", line)
		}
	}
	t.Logf("%d CSP report(s) reached the edge, all for the control page", len(reports))
}
