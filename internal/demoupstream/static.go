package demoupstream

import (
	"crypto/sha512"
	"encoding/base64"
	"net/http"
	"strconv"
)

// Paths of the fake build output under /_next/static/.
const (
	// MainAppPath is the external chunk the pages load (with SRI); it sets
	// data-chunk="ran" on <body> and then loads LazyPath.
	MainAppPath = "/_next/static/chunks/main-app.js"
	// LazyPath is the chunk main-app.js inserts with createElement; it sets
	// data-lazy="ran" on <body>.
	LazyPath = "/_next/static/chunks/lazy.js"
	// AppCSSPath is the pages' external stylesheet.
	AppCSSPath = "/_next/static/css/app.css"
)

// Content types Next.js serves build output with.
const (
	contentTypeJS  = "application/javascript; charset=UTF-8"
	contentTypeCSS = "text/css; charset=UTF-8"
)

// immutableCache is Next.js's Cache-Control for /_next/static files.
const immutableCache = "public, max-age=31536000, immutable"

// mainAppJS is the external chunk: it marks the body and then loads
// lazy.js through a created (not parser-inserted) script element without a
// nonce, which only runs under 'strict-dynamic' (or an allow-list).
const mainAppJS = `(function(){` +
	`function run(){` +
	`document.body.dataset.chunk="ran";` +
	`var s=document.createElement("script");` +
	`s.src="` + LazyPath + `";` +
	`document.head.appendChild(s)` +
	`}` +
	`if(document.body){run()}else{document.addEventListener("DOMContentLoaded",run)}` +
	`})();` + "\n"

// lazyJS is the dynamically loaded chunk.
const lazyJS = `document.body.dataset.lazy="ran";` + "\n"

// appCSS is the external stylesheet.
const appCSS = `.ocomms-shell{font-family:system-ui,sans-serif;color:#1f2328;background:#fff}` + "\n"

// staticFile is one file of the fake build output.
type staticFile struct {
	contentType string
	body        []byte
}

// staticFiles maps request paths to build output.
var staticFiles = map[string]staticFile{
	MainAppPath: {contentTypeJS, []byte(mainAppJS)},
	LazyPath:    {contentTypeJS, []byte(lazyJS)},
	AppCSSPath:  {contentTypeCSS, []byte(appCSS)},
}

// mainAppIntegrity is computed once from the served bytes.
var mainAppIntegrity = sriSHA384([]byte(mainAppJS))

// MainAppIntegrity returns the integrity attribute value ("sha384-…") the
// pages put on the main-app.js script, as Next.js's experimental.sri does.
func MainAppIntegrity() string {
	return mainAppIntegrity
}

// sriSHA384 returns a subresource-integrity value for body.
func sriSHA384(body []byte) string {
	sum := sha512.Sum384(body)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// serveStatic serves /_next/static/ files with the immutable cache policy.
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := staticFiles[r.URL.Path]
	if !ok {
		h.serveNotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", immutableCache)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(http.StatusOK)
	w.Write(f.body)
}
