package headers

import (
	"net/http"
	"strings"

	"github.com/ocomms/ocomms-edge/internal/apierror"
)

// This file decides what happens to an HTML response to a request that got
// a nonce. The decision is made on the response (its media type, whether
// it is prerendered, its encoding), never on one status code: Next.js
// serves its prerendered not-found page with 404, error.js pages with 500,
// and any of them may carry a body.

// isHTML reports whether the response is an HTML document.
func isHTML(h http.Header) bool {
	ct := h.Get("Content-Type")
	return len(ct) >= 9 && strings.EqualFold(ct[:9], "text/html")
}

// bodyAllowed reports whether a response with this status has a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// nonceHTML handles an HTML response to a request that got a nonce. Such a
// page carries this request's nonce (stamped by the upstream, or injected
// here), so no shared cache may keep it: validators go, and Cache-Control
// becomes private unless the upstream already forbade storing it. When the
// response needs injection it starts it: streamed for identity-encoded HTML,
// gathered and decoded for gzip or deflate, refused with a 502 for any
// other encoding, so HTML whose scripts the policy blocks never leaves. It
// reports true when it took over writing the status.
func (rw *ResponseWriter) nonceHTML(h http.Header, status int) bool {
	privateNoncePage(h)
	if !rw.needsInjection(h, status) {
		return false
	}
	rw.policy.injectedReplies.Add(1)
	h.Del("Content-Length")
	switch enc := contentEncoding(h); enc {
	case "":
		rw.startInjection()
		return false
	case "gzip", "x-gzip", "deflate":
		rw.decoder = &heldBody{encoding: enc}
		rw.status = status
		return true
	default:
		rw.refuse(h, "the upstream sent HTML in the "+enc+" encoding, which the edge cannot decode to add the page's CSP nonce")
		return true
	}
}

// privateNoncePage makes a page that carries a per-request nonce
// uncacheable by shared caches and unrevalidatable: a CDN would otherwise
// serve one nonce to everyone, and a 304 would pair a stored body with a
// new policy.
func privateNoncePage(h http.Header) {
	h.Del("Etag")
	h.Del("Last-Modified")
	h.Del("Cdn-Cache-Control")
	h.Del("Surrogate-Control")
	if !strings.Contains(strings.ToLower(h.Get("Cache-Control")), "no-store") {
		h.Set("Cache-Control", "private, no-cache")
	}
}

// needsInjection reports whether the policy's inject mode asks for the
// nonce to be added to this HTML response's tags.
func (rw *ResponseWriter) needsInjection(h http.Header, status int) bool {
	mode := rw.policy.opts.Inject
	if mode == InjectOff || !bodyAllowed(status) {
		return false
	}
	return mode == InjectHTML || h.Get("X-Nextjs-Prerender") != ""
}

// contentEncoding returns the response's content coding in lower case, ""
// for identity.
func contentEncoding(h http.Header) string {
	ce := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding")))
	if ce == "identity" {
		return ""
	}
	return ce
}

func (rw *ResponseWriter) startInjection() {
	rw.holdback = &holdbackWriter{w: rw.ResponseWriter}
	rw.injector = newNonceInjector(rw.holdback, rw.nonce)
}

// refuse replaces the response with a 502 JSON error, keeping the policy's
// headers, and discards the upstream body.
func (rw *ResponseWriter) refuse(h http.Header, message string) {
	rw.refused = true
	rw.decoder = nil
	rw.policy.injectRefused.Add(1)
	for _, name := range []string{"Content-Encoding", "Content-Length", "Content-Type", "Etag", "Last-Modified", "Vary", "X-Nextjs-Prerender"} {
		h.Del(name)
	}
	rw.enforce(h, true)
	apierror.Write(rw.ResponseWriter, http.StatusBadGateway, "UPSTREAM_HTML_UNREADABLE", message, 0)
}
