package demoupstream

import (
	"io"
	"net/http"
	"strings"
	"time"
)

// Response header values of Next.js App Router pages.
const (
	contentTypeHTML = "text/html; charset=utf-8"
	contentTypeRSC  = "text/x-component"
	routerVary      = "RSC, Next-Router-State-Tree, Next-Router-Prefetch"
	dynamicCache    = "private, no-cache, no-store, max-age=0, must-revalidate"
	prerenderCache  = "s-maxage=31536000"
)

// page is one App Router page of the fake.
type page struct {
	name    string // data-page attribute and RSC text
	title   string
	content string // inner HTML of <main>
}

// Pages of the fake app.
var (
	homePage = page{"home", "OComms", `<p>Welcome to OComms.</p>`}
	// controlPage carries an inline script without a nonce, so a browser
	// that enforces the edge's CSP must block it and report a violation:
	// the control that shows the browser test can see violations at all.
	controlPage = page{"csp-control", "CSP control – OComms", `<script>document.body.dataset.control="ran"</script>`}
	chatPage    = page{"chat", "Chat – OComms", `<section aria-label="messages"><p>No messages yet.</p></section>`}
	loginPage   = page{"login", "Sign in – OComms", authForm("Sign in")}
	signupPage  = page{"signup", "Sign up – OComms", authForm("Create account")}
)

// authForm is the (script-driven, action-less) form of the auth pages.
func authForm(button string) string {
	return `<form id="auth-form"><label>Email <input type="email" name="email" autocomplete="email"/></label>` +
		`<label>Password <input type="password" name="password"/></label><button type="submit">` + button + `</button></form>`
}

// violationWatch marks <html data-csp-watch="on"> and counts CSP
// violations in data-csp-violations, with the last one in data-csp-last.
const violationWatch = `document.documentElement.dataset.cspWatch="on";` +
	`document.addEventListener("securitypolicyviolation",function(e){var d=document.documentElement.dataset;` +
	`d.cspViolations=String((+d.cspViolations||0)+1);d.cspLast=e.effectiveDirective+" "+e.blockedURI})`

// rsc is the page's flight payload line.
func (p page) rsc() string {
	return `0:["$","main",null,{"data-page":"` + p.name + `"}]` + "\n"
}

// render returns the page HTML; every <script> and <style> carries the
// nonce when there is one, as Next.js stamps it.
func (p page) render(nonce string) string {
	n := ""
	if nonce != "" {
		n = ` nonce="` + nonce + `"`
	}
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>`)
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1"/>`)
	// The violation watch runs first: it marks the document and counts
	// every CSP violation the browser reports, for the browser test.
	b.WriteString(`<script` + n + `>` + violationWatch + `</script>`)
	b.WriteString(`<link rel="stylesheet" href="` + AppCSSPath + `" data-precedence="next"/>`)
	b.WriteString(`<script src="` + MainAppPath + `" async="" integrity="` + mainAppIntegrity + `" crossorigin="anonymous"` + n + `></script>`)
	b.WriteString(`<title>` + p.title + `</title>`)
	b.WriteString(`<style` + n + `>.ocomms-banner{padding:.5rem 1rem;border-bottom:1px solid #d0d7de}</style>`)
	b.WriteString(`</head><body><div class="ocomms-shell" style="min-height:100vh;margin:0">`)
	b.WriteString(`<header class="ocomms-banner"><h1>OComms</h1></header>`)
	b.WriteString(`<main id="main" data-page="` + p.name + `">` + p.content + `</main></div>`)
	b.WriteString(`<script` + n + `>self.__next_f=self.__next_f||[];self.__next_f.push([0])</script>`)
	b.WriteString(`<script` + n + `>self.__next_f.push([1,` + string(marshal(p.rsc())) + `]);document.body.dataset.inline="ran"</script>`)
	b.WriteString(`</body></html>`)
	return b.String()
}

// serveDynamic renders a page per request with the nonce Next.js would take
// from the request's CSP header.
func (h *Handler) serveDynamic(p page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Cache-Control", dynamicCache)
		hdr.Set("Vary", routerVary)
		if r.Header.Get("RSC") == "1" {
			hdr.Set("Content-Type", contentTypeRSC)
			writeBody(w, http.StatusOK, []byte(p.rsc()))
			return
		}
		hdr.Set("Content-Type", contentTypeHTML)
		h.stream(w, r, p.render(RequestNonce(r)))
	}
}

// servePrerendered serves a page as Next.js serves static build output:
// no nonce at all and the prerender/cache headers.
func (h *Handler) servePrerendered(p page) http.HandlerFunc {
	html := p.render("")
	return func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Cache-Control", prerenderCache)
		hdr.Set("Vary", routerVary)
		hdr.Set("x-nextjs-prerender", "1")
		hdr.Set("x-nextjs-cache", "HIT")
		if r.Header.Get("RSC") == "1" {
			hdr.Set("Content-Type", contentTypeRSC)
			writeBody(w, http.StatusOK, []byte(p.rsc()))
			return
		}
		hdr.Set("Content-Type", contentTypeHTML)
		h.stream(w, r, html)
	}
}

// stream writes html in the chunks of streamChunks, flushing (and pausing
// for Options.StreamDelay) between them.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, html string) {
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	chunks := streamChunks(html)
	for i, chunk := range chunks {
		if _, err := io.WriteString(w, chunk); err != nil {
			return
		}
		if err := rc.Flush(); err != nil || i == len(chunks)-1 || h.opts.StreamDelay < 0 {
			continue
		}
		select {
		case <-time.After(h.opts.StreamDelay):
		case <-r.Context().Done():
			return
		}
	}
}

// streamChunks cuts a page where a streaming rewriter must cope with a
// split: inside the first "<script" tag name, inside the integrity
// attribute, inside the inline flight script and inside the last
// "</script>".
func streamChunks(html string) []string {
	cuts := []int{
		cutAt(strings.Index(html, "<script"), 4),
		cutAt(strings.Index(html, `integrity="`), 14),
		cutAt(strings.Index(html, "self.__next_f.push([1"), 10),
		cutAt(strings.LastIndex(html, "</script>"), 3),
	}
	var chunks []string
	prev := 0
	for _, c := range cuts {
		if c <= prev || c >= len(html) {
			continue
		}
		chunks = append(chunks, html[prev:c])
		prev = c
	}
	return append(chunks, html[prev:])
}

// cutAt returns index+offset, or -1 when index is -1.
func cutAt(index, offset int) int {
	if index < 0 {
		return -1
	}
	return index + offset
}
